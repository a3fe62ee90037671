using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Sipworker")]
[assembly: AssemblyDescription("C# binding of sipworker, a native SIP softphone SDK")]
[assembly: AssemblyVersion("0.1.0.0")]
// The tests exercise the JSON helpers directly and observe when a deferred native destroy finished.
[assembly: InternalsVisibleTo("Sipworker.Tests")]
