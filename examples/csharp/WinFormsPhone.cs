// Minimal WinForms softphone: the worker raises its events on the UI thread
// (SynchronizationContext captured when the form loads), so handlers touch controls directly.
//
//   mcs -r:Sipworker.dll -r:System.Windows.Forms -r:System.Drawing -target:winexe WinFormsPhone.cs
using System;
using System.Drawing;
using System.Threading;
using System.Windows.Forms;
using Sipworker;

sealed class WinFormsPhone : Form
{
    readonly TextBox uri = new TextBox { Text = "sip:1001@127.0.0.1", Width = 220 };
    readonly TextBox password = new TextBox { Text = "pass1001", Width = 220, UseSystemPasswordChar = true };
    readonly TextBox server = new TextBox { Text = "sip:127.0.0.1:5060;transport=udp", Width = 220 };
    readonly TextBox target = new TextBox { Text = "1002", Width = 220 };
    readonly ListBox log = new ListBox { Dock = DockStyle.Fill, IntegralHeight = false };
    SipWorker phone;
    string session;  // the current call

    WinFormsPhone()
    {
        Text = "sipworker";
        ClientSize = new Size(560, 420);
        var form = new FlowLayoutPanel { Dock = DockStyle.Left, Width = 240, FlowDirection = FlowDirection.TopDown };
        form.Controls.AddRange(new Control[] { new Label { Text = "Account" }, uri, password, new Label { Text = "Server" }, server,
                                               new Label { Text = "Call" }, target });
        AddButton(form, "Register", () => phone.Post(Cmd.INIT, new
        {
            uri = uri.Text, password = password.Text, sipServer = new[] { server.Text }, register = true,
        }));
        AddButton(form, "Call", () => session = phone.Call(target.Text));
        AddButton(form, "Answer", () => phone.Answer(session));
        AddButton(form, "Hang up", () => phone.Hangup(session));
        AddButton(form, "Hold", () => phone.Hold(session));
        AddButton(form, "Resume", () => phone.Unhold(session));
        AddButton(form, "Mute", () => phone.Mute(session));
        AddButton(form, "Unmute", () => phone.Unmute(session));
        Controls.Add(log);
        Controls.Add(form);
    }

    void AddButton(Control parent, string text, Action action)
    {
        var button = new Button { Text = text, Width = 220 };
        button.Click += (s, e) =>
        {
            try { action(); }
            catch (SipwException ex) { Log("error " + ex.Code + ": " + ex.Message + " / " + ex.MessageCN); }
            catch (ArgumentException ex) { Log(ex.Message); }
        };
        parent.Controls.Add(button);
    }

    protected override void OnLoad(EventArgs e)
    {
        base.OnLoad(e);
        // Here the UI thread's WindowsFormsSynchronizationContext is installed: capture it.
        phone = new SipWorker(null, SynchronizationContext.Current);
        phone.On("*", ev =>
        {
            if (ev.Msg == OnName.ON_NEWRTCSESSION) session = ev.SessionId;
            Log(ev.Channel + ": " + (ev.MsgCN ?? ev.Msg) + (ev.Cause != null ? " — " + ev.CauseCN : ""));
        });
        phone.HandlerError += (s, args) => Log("handler failed: " + args.Exception.Message);
    }

    protected override void OnFormClosed(FormClosedEventArgs e)
    {
        phone?.Dispose();  // hangs up and unregisters; the worker has no finalizer
        base.OnFormClosed(e);
    }

    void Log(string line)
    {
        log.Items.Add(DateTime.Now.ToString("HH:mm:ss ") + line);
        log.TopIndex = log.Items.Count - 1;
    }

    [STAThread]
    static void Main()
    {
        Application.EnableVisualStyles();
        Application.Run(new WinFormsPhone());
    }
}
