// Minimal JSON for the payloads of Post and the CauseData of events. Mono 6.8 has no
// System.Text.Json, and DataContractJsonSerializer cannot serialize anonymous types, so the
// binding carries this small writer (reflection over public properties) and reader.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Sipworker
{
    /// <summary>Serializes command payloads: null, strings, booleans, numbers, enums (as their
    /// names), dictionaries, sequences, and any other object (anonymous types included) through
    /// its public readable instance properties, names written as declared.</summary>
    internal static class JsonWriter
    {
        const int MaxDepth = 64;  // a cycle in the caller's object graph ends here, not in a stack overflow

        public static string Serialize(object value)
        {
            var sb = new StringBuilder();
            Write(sb, value, 0);
            return sb.ToString();
        }

        static void Write(StringBuilder sb, object value, int depth)
        {
            if (depth > MaxDepth) throw new ArgumentException("JSON payload nested deeper than " + MaxDepth + " levels (a cycle?)");
            // if-chain, not a type-pattern switch: mcs (mono 6.8) does not implement those.
            if (value == null) { sb.Append("null"); return; }
            if (value is string s) { WriteString(sb, s); return; }
            if (value is char c) { WriteString(sb, c.ToString()); return; }
            if (value is bool b) { sb.Append(b ? "true" : "false"); return; }
            if (value is Enum) { WriteString(sb, value.ToString()); return; }
            if (value is byte || value is sbyte || value is short || value is ushort || value is int ||
                value is uint || value is long || value is ulong || value is decimal)
            {
                sb.Append(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                return;
            }
            if (value is float f) { WriteDouble(sb, f); return; }
            if (value is double d) { WriteDouble(sb, d); return; }
            if (value is DateTime dt) { WriteString(sb, dt.ToString("o", CultureInfo.InvariantCulture)); return; }
            if (value is DateTimeOffset dto) { WriteString(sb, dto.ToString("o", CultureInfo.InvariantCulture)); return; }
            if (value is TimeSpan ts) { sb.Append(((long)ts.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)); return; }
            if (value is Guid || value is Uri) { WriteString(sb, value.ToString()); return; }
            if (value is IDictionary dict) { WriteDictionary(sb, dict, depth); return; }
            if (value is IEnumerable seq) { WriteArray(sb, seq, depth); return; }
            WriteObject(sb, value, depth);
        }

        static void WriteDouble(StringBuilder sb, double d)
        {
            if (double.IsNaN(d) || double.IsInfinity(d)) throw new ArgumentException("JSON has no NaN or Infinity");
            sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
        }

        static void WriteDictionary(StringBuilder sb, IDictionary dict, int depth)
        {
            sb.Append('{');
            bool first = true;
            foreach (DictionaryEntry entry in dict)
            {
                if (!first) sb.Append(',');
                first = false;
                WriteString(sb, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                sb.Append(':');
                Write(sb, entry.Value, depth + 1);
            }
            sb.Append('}');
        }

        static void WriteArray(StringBuilder sb, IEnumerable seq, int depth)
        {
            sb.Append('[');
            bool first = true;
            foreach (object item in seq)
            {
                if (!first) sb.Append(',');
                first = false;
                Write(sb, item, depth + 1);
            }
            sb.Append(']');
        }

        static void WriteObject(StringBuilder sb, object value, int depth)
        {
            // IDictionary<string, object> that is not a non-generic IDictionary (e.g. ExpandoObject).
            if (value is IEnumerable<KeyValuePair<string, object>> pairs)
            {
                var copy = new Dictionary<string, object>();
                foreach (var kv in pairs) copy[kv.Key] = kv.Value;
                WriteDictionary(sb, copy, depth);
                return;
            }
            sb.Append('{');
            bool first = true;
            foreach (PropertyInfo p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!p.CanRead || p.GetIndexParameters().Length != 0) continue;
                if (!first) sb.Append(',');
                first = false;
                WriteString(sb, p.Name);
                sb.Append(':');
                Write(sb, p.GetValue(value, null), depth + 1);
            }
            sb.Append('}');
        }

        /// <summary>Writes a JSON string literal. Non-ASCII text stays as is (the ABI is UTF-8);
        /// quotes, backslashes, control characters and the JavaScript line separators are escaped.</summary>
        public static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == '\u007f')
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }

    /// <summary>Parses JSON text into Dictionary&lt;string, object&gt; (objects), List&lt;object&gt;
    /// (arrays), string, long or double (numbers), bool and null.</summary>
    internal static class JsonReader
    {
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            int pos = 0;
            object value = ParseValue(text, ref pos, 0);
            SkipSpace(text, ref pos);
            if (pos != text.Length) throw Error(text, pos, "trailing characters");
            return value;
        }

        static FormatException Error(string text, int pos, string what) =>
            new FormatException("Invalid JSON at offset " + pos + ": " + what);

        static void SkipSpace(string t, ref int pos)
        {
            while (pos < t.Length && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r')) pos++;
        }

        static object ParseValue(string t, ref int pos, int depth)
        {
            if (depth > 512) throw Error(t, pos, "nested too deeply");
            SkipSpace(t, ref pos);
            if (pos >= t.Length) throw Error(t, pos, "unexpected end");
            char c = t[pos];
            switch (c)
            {
                case '{': return ParseObject(t, ref pos, depth);
                case '[': return ParseArray(t, ref pos, depth);
                case '"': return ParseString(t, ref pos);
                case 't': Expect(t, ref pos, "true"); return true;
                case 'f': Expect(t, ref pos, "false"); return false;
                case 'n': Expect(t, ref pos, "null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(t, ref pos);
                    throw Error(t, pos, "unexpected character '" + c + "'");
            }
        }

        static void Expect(string t, ref int pos, string word)
        {
            if (string.CompareOrdinal(t, pos, word, 0, word.Length) != 0) throw Error(t, pos, "expected " + word);
            pos += word.Length;
        }

        static Dictionary<string, object> ParseObject(string t, ref int pos, int depth)
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            pos++;  // {
            SkipSpace(t, ref pos);
            if (pos < t.Length && t[pos] == '}') { pos++; return result; }
            for (;;)
            {
                SkipSpace(t, ref pos);
                if (pos >= t.Length || t[pos] != '"') throw Error(t, pos, "expected a member name");
                string key = ParseString(t, ref pos);
                SkipSpace(t, ref pos);
                if (pos >= t.Length || t[pos] != ':') throw Error(t, pos, "expected ':'");
                pos++;
                result[key] = ParseValue(t, ref pos, depth + 1);
                SkipSpace(t, ref pos);
                if (pos < t.Length && t[pos] == ',') { pos++; continue; }
                if (pos < t.Length && t[pos] == '}') { pos++; return result; }
                throw Error(t, pos, "expected ',' or '}'");
            }
        }

        static List<object> ParseArray(string t, ref int pos, int depth)
        {
            var result = new List<object>();
            pos++;  // [
            SkipSpace(t, ref pos);
            if (pos < t.Length && t[pos] == ']') { pos++; return result; }
            for (;;)
            {
                result.Add(ParseValue(t, ref pos, depth + 1));
                SkipSpace(t, ref pos);
                if (pos < t.Length && t[pos] == ',') { pos++; continue; }
                if (pos < t.Length && t[pos] == ']') { pos++; return result; }
                throw Error(t, pos, "expected ',' or ']'");
            }
        }

        static string ParseString(string t, ref int pos)
        {
            pos++;  // opening quote
            var sb = new StringBuilder();
            while (pos < t.Length)
            {
                char c = t[pos++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                if (pos >= t.Length) break;
                char e = t[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (pos + 4 > t.Length ||
                            !int.TryParse(t.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                            throw Error(t, pos, "bad \\u escape");
                        sb.Append((char)code);  // surrogate pairs arrive as two escapes and recombine here
                        pos += 4;
                        break;
                    default: throw Error(t, pos - 1, "bad escape");
                }
            }
            throw Error(t, pos, "unterminated string");
        }

        static object ParseNumber(string t, ref int pos)
        {
            int start = pos;
            bool integral = true;
            if (t[pos] == '-') pos++;
            while (pos < t.Length)
            {
                char c = t[pos];
                if (c >= '0' && c <= '9') { pos++; continue; }
                if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') { integral = false; pos++; continue; }
                break;
            }
            string s = t.Substring(start, pos - start);
            if (integral && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
            throw Error(t, start, "bad number");
        }
    }
}
