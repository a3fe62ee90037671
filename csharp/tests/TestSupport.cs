// Helpers shared by the NUnit tests: the loopback SIP server probe, INIT payloads, a tiny
// single-thread SynchronizationContext, and a tone detector for recorded WAV files.
using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using NUnit.Framework;

namespace Sipworker.Tests
{
    static class SipServer
    {
        public const string Host = "127.0.0.1";
        public const int Port = 5060;
        public const int TlsPort = 5061;

        static readonly Lazy<bool> UdpAnswers = new Lazy<bool>(() => AnswersOptions(Port));
        static readonly Lazy<bool> TlsListens = new Lazy<bool>(() => TcpListens(TlsPort));

        /// <summary>Skips the calling test unless a SIP server answers OPTIONS on 127.0.0.1:5060.</summary>
        public static void Require()
        {
            if (!UdpAnswers.Value)
                Assert.Ignore("no SIP server answers OPTIONS on udp 127.0.0.1:5060 (start Kamailio: see csharp/README.md)");
        }

        public static void RequireTls()
        {
            Require();
            if (!TlsListens.Value) Assert.Ignore("no SIP server listens on tls 127.0.0.1:5061");
        }

        // Only ever talks to 127.0.0.1.
        static bool AnswersOptions(int port)
        {
            using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                udp.Client.ReceiveTimeout = 400;
                int localPort = ((IPEndPoint)udp.Client.LocalEndPoint).Port;
                for (int attempt = 0; attempt < 5; attempt++)
                {
                    string branch = Guid.NewGuid().ToString("N").Substring(0, 12);
                    string request =
                        "OPTIONS sip:" + Host + ":" + port + " SIP/2.0\r\n" +
                        "Via: SIP/2.0/UDP " + Host + ":" + localPort + ";branch=z9hG4bK" + branch + ";rport\r\n" +
                        "Max-Forwards: 70\r\nFrom: <sip:probe@" + Host + ">;tag=" + branch + "\r\n" +
                        "To: <sip:" + Host + ":" + port + ">\r\nCall-ID: " + branch + "@csharp-probe\r\n" +
                        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
                    byte[] bytes = Encoding.ASCII.GetBytes(request);
                    udp.Send(bytes, bytes.Length, new IPEndPoint(IPAddress.Loopback, port));
                    try
                    {
                        var from = new IPEndPoint(IPAddress.Any, 0);
                        byte[] answer = udp.Receive(ref from);
                        if (Encoding.ASCII.GetString(answer).StartsWith("SIP/2.0 ", StringComparison.Ordinal)) return true;
                    }
                    catch (SocketException) { /* timeout: try again */ }
                }
                return false;
            }
        }

        static bool TcpListens(int port)
        {
            try
            {
                using (var tcp = new TcpClient())
                {
                    var connect = tcp.BeginConnect(IPAddress.Loopback, port, null, null);
                    return connect.AsyncWaitHandle.WaitOne(1000) && tcp.Connected;
                }
            }
            catch (SocketException) { return false; }
        }

        /// <summary>INIT payload for test user 10xx (password pass10xx) on loopback.</summary>
        public static object Init(int user, string transport = "udp", string password = null, bool register = true,
                                  object audio = null)
        {
            string server = transport == "tls" ? "sips:" + Host + ":" + TlsPort
                          : transport == "ws" ? "ws://" + Host + ":8080/ws"     // Kamailio's WebSocket listeners
                          : transport == "wss" ? "wss://" + Host + ":8443/ws"
                          : "sip:" + Host + ":" + Port + ";transport=" + transport;
            return new
            {
                uri = "sip:" + user + "@" + Host,
                password = password ?? "pass" + user,
                sipServer = new[] { server },
                register,
                sipWorkerid = "csharp-" + user,
                tls = new { verify = false },
                audio = audio ?? new { input = "silence", output = "null" },
            };
        }

        /// <summary>INIT that never touches the network (register: false): for API tests.</summary>
        public static object OfflineInit() => new
        {
            uri = "sip:1001@" + Host,
            sipServer = new[] { "sip:" + Host + ":" + Port + ";transport=udp" },
            register = false,
        };
    }

    /// <summary>A SynchronizationContext that runs posted work, in order, on one dedicated thread
    /// (what a UI thread's context does).</summary>
    sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        readonly BlockingCollection<Tuple<SendOrPostCallback, object>> _queue =
            new BlockingCollection<Tuple<SendOrPostCallback, object>>();
        readonly Thread _thread;

        public int ThreadId => _thread.ManagedThreadId;

        public SingleThreadContext()
        {
            _thread = new Thread(() =>
            {
                SetSynchronizationContext(this);
                foreach (var item in _queue.GetConsumingEnumerable()) item.Item1(item.Item2);
            }) { IsBackground = true, Name = "test-ui" };
            _thread.Start();
        }

        public override void Post(SendOrPostCallback d, object state) => _queue.Add(Tuple.Create(d, state));

        public override void Send(SendOrPostCallback d, object state)
        {
            using (var done = new ManualResetEventSlim())
            {
                Post(s => { d(s); done.Set(); }, state);
                done.Wait();
            }
        }

        public void Dispose()
        {
            _queue.CompleteAdding();
            _thread.Join(5000);
        }
    }

    static class Wav
    {
        /// <summary>Mono PCM16 samples and rate of a canonical WAV file (data chunk found by name).</summary>
        public static short[] ReadPcm16(string path, out int rate, out int channels)
        {
            byte[] b = File.ReadAllBytes(path);
            rate = 0; channels = 1;
            int pos = 12;
            while (pos + 8 <= b.Length)
            {
                string id = Encoding.ASCII.GetString(b, pos, 4);
                int size = BitConverter.ToInt32(b, pos + 4);
                if (id == "fmt ") { channels = BitConverter.ToInt16(b, pos + 10); rate = BitConverter.ToInt32(b, pos + 12); }
                if (id == "data")
                {
                    int n = Math.Min(size, b.Length - pos - 8) / 2;
                    var samples = new short[n];
                    Buffer.BlockCopy(b, pos + 8, samples, 0, n * 2);
                    return samples;
                }
                pos += 8 + size + (size & 1);
            }
            throw new InvalidDataException("no data chunk in " + path);
        }

        /// <summary>Frequency of a recorded pure tone by zero crossings of the first channel,
        /// counted inside 20 ms blocks that carry the tone throughout (every 2.5 ms of the block has a
        /// loud sample): the recording is real time, so the silence before media flows and gaps the
        /// jitter buffer fills with silence on a loaded machine are left out.
        /// <paramref name="seconds"/> is the length of the blocks used.</summary>
        public static double ToneFrequency(short[] samples, int channels, int rate, out double seconds)
        {
            const int Loud = 500;
            int block = rate / 50, part = rate / 400, frames = samples.Length / channels;
            long crossings = 0, intervals = 0;
            for (int start = 0; start + block <= frames; start += block)
            {
                bool tone = true;
                for (int p = 0; p < block && tone; p += part)
                {
                    int max = 0;
                    for (int i = p; i < p + part; i++) max = Math.Max(max, Math.Abs((int)samples[(start + i) * channels]));
                    tone = max > Loud;
                }
                if (!tone) continue;
                for (int i = Math.Max(1, start); i < start + block; i++)  // with the interval from the previous block
                {
                    if ((samples[(i - 1) * channels] < 0) != (samples[i * channels] < 0)) crossings++;
                    intervals++;
                }
            }
            seconds = (double)intervals / rate;
            return intervals == 0 ? 0 : crossings / 2.0 / seconds;
        }

        /// <summary>Relative power at a frequency (Goertzel), first channel only.</summary>
        public static double Power(short[] samples, int channels, int rate, double hz)
        {
            double w = 2 * Math.PI * hz / rate, coeff = 2 * Math.Cos(w), s1 = 0, s2 = 0;
            int n = 0;
            for (int i = 0; i < samples.Length; i += channels, n++)
            {
                double s0 = samples[i] / 32768.0 + coeff * s1 - s2;
                s2 = s1; s1 = s0;
            }
            return n == 0 ? 0 : (s1 * s1 + s2 * s2 - coeff * s1 * s2) / n;
        }
    }
}
