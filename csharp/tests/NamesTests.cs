// Every name of the assembly equals the catalogue (catalogue/names.toml, read from the JSON copy the
// build generates): Cmd, On, their string values and the SipwException codes. Fails when any list drifts.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using NUnit.Framework;
using Sipworker;

namespace Sipworker.Tests
{
    [TestFixture]
    public class NamesTests
    {
        static Dictionary<string, object> Catalogue()
        {
            string path = Environment.GetEnvironmentVariable("SIPW_CATALOGUE_JSON");
            Assert.IsNotNull(path, "SIPW_CATALOGUE_JSON names the generated catalogue.json");
            return (Dictionary<string, object>)JsonReader.Parse(File.ReadAllText(path));
        }

        static List<Dictionary<string, object>> Table(string name) =>
            ((List<object>)Catalogue()[name]).Cast<Dictionary<string, object>>().ToList();

        static string Str(Dictionary<string, object> entry, string key, string fallback = null) =>
            entry.TryGetValue(key, out object v) ? (string)v : fallback;

        [Test]
        public void CmdMembersAndValuesAreTheCatalogueCommands()
        {
            var commands = Table("commands");
            CollectionAssert.AreEqual(commands.Select(c => Str(c, "name")).ToArray(), Enum.GetNames(typeof(Cmd)));
            foreach (var c in commands)
            {
                var member = (Cmd)Enum.Parse(typeof(Cmd), Str(c, "name"));
                Assert.AreEqual(Str(c, "value", Str(c, "name")), member.Value());
                Assert.AreEqual(member.Value(), typeof(CmdName).GetField(Str(c, "name")).GetValue(null));
            }
        }

        [Test]
        public void OnMembersAndValuesAreTheCatalogueEvents()
        {
            var events = Table("events");
            CollectionAssert.AreEqual(events.Select(e => Str(e, "name")).ToArray(), Enum.GetNames(typeof(On)));
            foreach (var e in events)
            {
                var member = (On)Enum.Parse(typeof(On), Str(e, "name"));
                Assert.AreEqual(Str(e, "value"), member.Value());
                Assert.AreEqual(member.Value(), typeof(OnName).GetField(Str(e, "name")).GetValue(null));
            }
        }

        [Test]
        public void SipwExceptionCodesAreTheCatalogueResults()
        {
            var declared = typeof(SipwException).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (int)f.GetValue(null));
            var expected = Table("results").Where(r => Convert.ToInt32(r["value"]) != 0)
                .ToDictionary(r => Str(r, "member"), r => Convert.ToInt32(r["value"]));
            CollectionAssert.AreEquivalent(expected, declared);
        }

        [Test]
        public void CommandMethodsAreTheCatalogueMethods()
        {
            foreach (var m in Table("methods"))
            {
                string name = string.Concat(Str(m, "name").Split('_').Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));
                MethodInfo method = typeof(SipWorker).GetMethod(name);
                Assert.IsNotNull(method, name);
                var fields = ((List<object>)m["params"]).Select(p => ((string)p).Split('?', ':', '=')[0]);
                CollectionAssert.AreEqual(fields.ToArray(), method.GetParameters().Select(p => p.Name).ToArray(), name);
            }
        }
    }
}
