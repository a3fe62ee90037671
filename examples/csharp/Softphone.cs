// Console softphone over Sipworker.dll: type commands, watch events.
//
//   mono Softphone.exe
//   > register sip:1001@127.0.0.1 pass1001 sip:127.0.0.1:5060;transport=udp
//   > call 1002            > answer          > hold / unhold     > mute / unmute
//   > dtmf 123#            > hangup          > info              > quit
//
// "answer", "hangup" & co. act on the current session (the last one created) unless given an id.
using System;
using Sipworker;

static class Softphone
{
    static string current;  // the session typed commands act on

    static int Main()
    {
        using (var phone = new SipWorker())
        {
            // Handlers run on the worker's dispatch thread; Console is thread-safe.
            phone.On("*", ev =>
            {
                Console.WriteLine("  [{0}] {1}{2}{3}", ev.Channel, ev.Msg,
                    ev.SessionId != null ? " session=" + ev.SessionId : "",
                    ev.Cause != null ? " cause=" + ev.Cause + " (" + ev.CauseCN + ")" : "");
                if (ev.Msg == OnName.ON_NEWRTCSESSION) current = ev.SessionId;
                if (ev.Msg == OnName.ON_NEWRTCSESSION && ev.SessionOrigin == "incoming")
                    Console.WriteLine("  incoming call from {0}: type 'answer' or 'hangup'", ev.FromUri);
            });
            phone.HandlerError += (s, e) => Console.Error.WriteLine("handler failed: " + e.Exception);

            Console.WriteLine("sipworker " + SipWorker.NativeVersion + " — type 'help'");
            for (;;)
            {
                Console.Write("> ");
                string line = Console.ReadLine();
                if (line == null) break;
                string[] args = line.Trim().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (args.Length == 0) continue;
                try
                {
                    if (!Run(phone, args)) break;
                }
                catch (SipwException e)
                {
                    Console.WriteLine("  error {0}: {1} / {2}", e.Code, e.Message, e.MessageCN);
                }
                catch (ArgumentException e)
                {
                    Console.WriteLine("  " + e.Message);
                }
            }
        }
        return 0;
    }

    static string Session(string[] args) =>
        args.Length > 1 ? args[1] : current ?? throw new ArgumentException("no current session");

    static bool Run(SipWorker phone, string[] args)
    {
        switch (args[0].ToLowerInvariant())
        {
            case "register":
                if (args.Length < 4) throw new ArgumentException("register <uri> <password> <server>");
                phone.Post(Cmd.INIT, new
                {
                    uri = args[1],
                    password = args[2],
                    sipServer = new[] { args[3] },
                    register = true,
                    sipWorkerid = Guid.NewGuid().ToString("N"),
                });
                break;
            case "unregister": phone.Post(Cmd.UNREGISTER, null); break;
            case "call":
                if (args.Length < 2) throw new ArgumentException("call <number or uri>");
                current = phone.Call(args[1]);
                Console.WriteLine("  calling, session " + current);
                break;
            case "answer": phone.Answer(Session(args)); break;
            case "hangup": phone.Hangup(Session(args)); break;
            case "hold": phone.Hold(Session(args)); break;
            case "unhold": phone.Unhold(Session(args)); break;
            case "mute": phone.Mute(Session(args)); break;
            case "unmute": phone.Unmute(Session(args)); break;
            case "dtmf":
                if (args.Length < 2) throw new ArgumentException("dtmf <tones>");
                phone.Dtmf(current ?? throw new ArgumentException("no current session"), args[1]);
                break;
            case "info": Console.WriteLine("  " + (phone.SessionInfo(Session(args)) ?? "unknown session")); break;
            case "quit": case "exit": return false;
            default:
                Console.WriteLine("  commands: register <uri> <password> <server> | unregister | call <target> |");
                Console.WriteLine("            answer | hangup | hold | unhold | mute | unmute | dtmf <tones> | info | quit");
                break;
        }
        return true;
    }
}
