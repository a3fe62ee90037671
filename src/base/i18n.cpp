// The one table of user-visible texts (SPEC §5). Facts about JsSIP (cause names, the status →
// cause mapping, the reason-phrase codes) follow JsSIP 3.10's lib/Constants.js; the Chinese is
// written for a softphone user, not translated word by word.
#include "base/i18n.hpp"

#include <cctype>

namespace sipw::i18n {
namespace {

struct NamedText {
    std::string_view name;
    Text text;
};

struct CodedText {
    int code;
    Text text;
};

// ---------------------------------------------------------------------------------------------
// JsSIP causes. The 23 values of JsSIP's C.causes, plus "Bye": JsSIP's BYE constant is the
// string "Terminated", but browser wrappers report a remote hang-up as "Bye", so both are known.
constexpr NamedText kCauses[] = {
    // Generic
    {"Connection Error", {"Connection error", "网络连接错误"}},
    {"Request Timeout", {"Request timed out", "请求超时"}},
    {"SIP Failure Code", {"Call failed (SIP error)", "呼叫失败（SIP 错误）"}},
    {"Internal Error", {"Internal error", "内部错误"}},
    // SIP
    {"Busy", {"The callee is busy", "对方正忙"}},
    {"Rejected", {"The call was rejected", "对方拒绝了呼叫"}},
    {"Redirected", {"The call was redirected", "呼叫已被转移"}},
    {"Unavailable", {"The callee is unavailable", "对方暂时无法接通"}},
    {"Not Found", {"The number does not exist", "号码不存在"}},
    {"Address Incomplete", {"The number is incomplete", "号码不完整"}},
    {"Incompatible SDP", {"No common media format with the other party", "与对方的媒体格式不兼容"}},
    {"Missing SDP", {"The media description (SDP) is missing", "缺少媒体描述（SDP）"}},
    {"Authentication Error", {"Authentication failed; check the account and password",
                              "认证失败，请检查账号和密码"}},
    // Session
    {"Terminated", {"The call has ended", "通话已结束"}},
    {"Bye", {"The other party hung up", "对方已挂断"}},
    {"WebRTC Error", {"Media engine error", "媒体处理出错"}},
    {"Canceled", {"The call was canceled", "呼叫已取消"}},
    {"No Answer", {"No answer", "无人接听"}},
    {"Expires", {"The call invitation expired", "呼叫邀请已过期"}},
    {"No ACK", {"The other party did not confirm the call (no ACK)", "对方未确认通话（未收到 ACK）"}},
    {"Dialog Error", {"Call state error (dialog error)", "通话状态异常（对话错误）"}},
    {"User Denied Media Access", {"Access to the microphone was denied", "麦克风访问被拒绝"}},
    {"Bad Media Description", {"Invalid media description", "媒体描述无效"}},
    {"RTP Timeout", {"No media received from the other party (RTP timeout)",
                     "长时间未收到对方的语音数据（RTP 超时）"}},
};

// ---------------------------------------------------------------------------------------------
// JsSIP C.SIP_ERROR_CAUSES, in JsSIP's order. Note: JsSIP 3.10 lists 484 and 424 (not 485) for
// "Address Incomplete"; 485 falls through to "SIP Failure Code" there, and so it does here.
struct CauseCodes {
    std::string_view cause;
    int codes[5];  // 0 = unused slot
};
constexpr CauseCodes kSipErrorCauses[] = {
    {"Redirected", {300, 301, 302, 305, 380}},
    {"Busy", {486, 600}},
    {"Rejected", {403, 603}},
    {"Not Found", {404, 604}},
    {"Unavailable", {480, 410, 408, 430}},
    {"Address Incomplete", {484, 424}},
    {"Incompatible SDP", {488, 606}},
    {"Authentication Error", {401, 407}},
};

// ---------------------------------------------------------------------------------------------
// SIP reason phrases, ascending. The 72 codes of JsSIP's C.REASON_PHRASE (478 is Kamailio's
// custom code, kept because JsSIP has it) plus the IANA-registered 425, 555, 607 and 608.
// 500 says "Server Internal Error" (RFC 3261) where JsSIP says "JsSIP Internal Error".
constexpr CodedText kReasonPhrases[] = {
    {100, {"Trying", "正在处理"}},
    {180, {"Ringing", "对方振铃中"}},
    {181, {"Call Is Being Forwarded", "呼叫正在转接"}},
    {182, {"Queued", "呼叫排队中"}},
    {183, {"Session Progress", "呼叫进行中"}},
    {199, {"Early Dialog Terminated", "早期对话已终止"}},  // RFC 6228
    {200, {"OK", "成功"}},
    {202, {"Accepted", "已接受"}},         // RFC 3265
    {204, {"No Notification", "无通知"}},  // RFC 5839
    {300, {"Multiple Choices", "有多个可选地址"}},
    {301, {"Moved Permanently", "号码已永久转移"}},
    {302, {"Moved Temporarily", "号码已临时转移"}},
    {305, {"Use Proxy", "需要通过代理服务器"}},
    {380, {"Alternative Service", "请使用其他服务"}},
    {400, {"Bad Request", "请求格式错误"}},
    {401, {"Unauthorized", "需要身份认证"}},
    {402, {"Payment Required", "需要付费"}},
    {403, {"Forbidden", "禁止访问"}},
    {404, {"Not Found", "号码不存在"}},
    {405, {"Method Not Allowed", "不允许的请求方法"}},
    {406, {"Not Acceptable", "无法接受的请求"}},
    {407, {"Proxy Authentication Required", "需要代理服务器认证"}},
    {408, {"Request Timeout", "请求超时"}},
    {410, {"Gone", "该用户已不存在"}},
    {412, {"Conditional Request Failed", "条件请求失败"}},       // RFC 3903
    {413, {"Request Entity Too Large", "请求内容过大"}},
    {414, {"Request-URI Too Long", "请求地址过长"}},
    {415, {"Unsupported Media Type", "不支持的内容类型"}},
    {416, {"Unsupported URI Scheme", "不支持的地址格式"}},
    {417, {"Unknown Resource-Priority", "未知的资源优先级"}},     // RFC 4412
    {420, {"Bad Extension", "不支持的扩展"}},
    {421, {"Extension Required", "需要支持扩展"}},
    {422, {"Session Interval Too Small", "会话刷新间隔过短"}},     // RFC 4028
    {423, {"Interval Too Brief", "有效期过短"}},
    {424, {"Bad Location Information", "位置信息有误"}},           // RFC 6442
    {425, {"Bad Alert Message", "告警消息有误"}},                  // RFC 8876
    {428, {"Use Identity Header", "需要提供身份标识头"}},          // RFC 8224
    {429, {"Provide Referrer Identity", "需要提供转接发起方身份"}},  // RFC 3892
    {430, {"Flow Failed", "连接通道已失效"}},                      // RFC 5626
    {433, {"Anonymity Disallowed", "不允许匿名呼叫"}},             // RFC 5079
    {436, {"Bad Identity-Info", "身份信息头无效"}},                // RFC 4474
    {437, {"Unsupported Certificate", "不支持的证书"}},            // RFC 4474
    {438, {"Invalid Identity Header", "身份标识头无效"}},          // RFC 4474
    {439, {"First Hop Lacks Outbound Support", "首跳服务器不支持 Outbound"}},  // RFC 5626
    {440, {"Max-Breadth Exceeded", "超出最大并行分叉数"}},         // RFC 5393
    {469, {"Bad Info Package", "不支持的 INFO 消息类型"}},         // RFC 6086
    {470, {"Consent Needed", "需要对方同意"}},                     // RFC 5360
    {478, {"Unresolvable Destination", "无法解析目标地址"}},       // Kamailio
    {480, {"Temporarily Unavailable", "对方暂时无法接通"}},
    {481, {"Call/Transaction Does Not Exist", "通话或事务不存在"}},
    {482, {"Loop Detected", "检测到路由环路"}},
    {483, {"Too Many Hops", "转发次数过多"}},
    {484, {"Address Incomplete", "号码不完整"}},
    {485, {"Ambiguous", "号码不明确"}},
    {486, {"Busy Here", "对方正忙"}},
    {487, {"Request Terminated", "请求已终止"}},
    {488, {"Not Acceptable Here", "对方不支持当前媒体格式"}},
    {489, {"Bad Event", "不支持的事件类型"}},                      // RFC 6665
    {491, {"Request Pending", "另一请求正在处理中"}},
    {493, {"Undecipherable", "无法解密消息内容"}},
    {494, {"Security Agreement Required", "需要进行安全协商"}},    // RFC 3329
    {500, {"Server Internal Error", "服务器内部错误"}},
    {501, {"Not Implemented", "服务器不支持该功能"}},
    {502, {"Bad Gateway", "网关错误"}},
    {503, {"Service Unavailable", "服务暂时不可用"}},
    {504, {"Server Time-out", "服务器响应超时"}},
    {505, {"Version Not Supported", "不支持的 SIP 版本"}},
    {513, {"Message Too Large", "消息过长"}},
    {555, {"Push Notification Service Not Supported", "不支持该推送通知服务"}},  // RFC 8599
    {580, {"Precondition Failure", "媒体前提条件未满足"}},         // RFC 3312
    {600, {"Busy Everywhere", "对方正忙，所有终端均无法接听"}},
    {603, {"Decline", "对方拒绝接听"}},
    {604, {"Does Not Exist Anywhere", "全网查无此号码"}},
    {606, {"Not Acceptable", "对方无法接受此呼叫"}},
    {607, {"Unwanted", "对方将此来电标记为骚扰电话"}},             // RFC 8197
    {608, {"Rejected", "呼叫已被网络拦截"}},                       // RFC 8688
};

// Generic texts for a status code missing from kReasonPhrases, by class (index = code / 100).
constexpr Text kStatusClasses[] = {
    {"", ""},
    {"Provisional response", "临时响应"},
    {"Success", "成功"},
    {"Redirection", "呼叫被重定向"},
    {"Request failure", "请求失败"},
    {"Server failure", "服务器错误"},
    {"Global failure", "呼叫失败"},
};

// ---------------------------------------------------------------------------------------------
// Event messages: every `on` value of the seed's enum, then the extension channels.
constexpr NamedText kEventMessages[] = {
    {"Request Timeout", {"Request timed out", "请求超时"}},
    {"registered", {"Registered", "已注册"}},
    {"unregistered", {"Unregistered", "已注销"}},
    {"registrationFailed", {"Registration failed", "注册失败"}},
    {"registrationExpiring", {"Registration is about to expire; renewing automatically",
                              "注册即将过期，正在自动续订"}},
    {"connecting", {"Connecting to the server", "正在连接服务器"}},
    {"connected", {"Connected to the server", "已连接服务器"}},
    {"disconnected", {"Disconnected from the server", "与服务器的连接已断开"}},
    {"newRTCSession", {"New call", "新的通话"}},
    {"new_RTCSession_state", {"Call state changed", "通话状态已变化"}},
    {"session_progress", {"Call in progress (early media)", "呼叫进行中（早期媒体）"}},
    {"session_connecting", {"Call connecting", "通话正在连接"}},
    {"session_accepted", {"Call accepted", "通话已被接受"}},
    {"session_confirmed", {"Call connected", "通话已接通"}},
    {"session_ended", {"Call ended", "通话已结束"}},
    {"session_failed", {"Call failed", "通话失败"}},
    {"session_answer_failed", {"Failed to answer the call", "接听失败"}},
    {"onResume", {"Call resumed", "通话已恢复"}},
    {"onHold", {"Call on hold", "通话已保持"}},
    {"onMute", {"Muted", "已静音"}},
    {"onUnmute", {"Unmuted", "已取消静音"}},
    // Declared by the seed but never emitted; kept so every enum value has a text.
    {"event", {"Event", "事件"}},
    {"newOptions", {"OPTIONS request received", "收到 OPTIONS 请求"}},
    {"sipEvent", {"SIP event", "SIP 事件"}},
    {"newMessage", {"New message", "收到新消息"}},
    {"session_recall", {"Calling again", "重新呼叫"}},
    {"re_register", {"Registering again", "重新注册"}},
    {"re_login", {"Logging in again", "重新登录"}},
    {"session_req_timeout", {"Call request timed out", "通话请求超时"}},
    {"call_event", {"Call event", "通话事件"}},
    // Extension channels of this SDK.
    {"warning", {"Warning", "警告"}},
    {"newDTMF", {"DTMF tone received", "收到按键音（DTMF）"}},
    {"playStarted", {"Playback started", "开始播放"}},
    {"playEnded", {"Playback ended", "播放结束"}},
};

// ---------------------------------------------------------------------------------------------
// WebSocket close codes, RFC 6455 §7.4.1 and the IANA registry (1012–1014).
constexpr CodedText kWsCloseCodes[] = {
    {1000, {"Connection closed normally", "连接已正常关闭"}},
    {1001, {"The server is going away", "服务器已关闭或正在重启"}},
    {1002, {"WebSocket protocol error", "WebSocket 协议错误"}},
    {1003, {"Unsupported data type", "不支持的数据类型"}},
    {1004, {"Reserved close code", "保留的关闭代码"}},
    {1005, {"Connection closed without a status code", "连接已关闭，未收到关闭原因"}},
    {1006, {"Connection closed abnormally", "连接异常断开"}},
    {1007, {"Invalid message data", "收到的消息数据无效"}},
    {1008, {"Closed for a policy violation", "违反服务器策略，连接被关闭"}},
    {1009, {"Message too big", "消息过大"}},
    {1010, {"A required extension was not negotiated", "服务器未协商必需的扩展"}},
    {1011, {"Server internal error", "服务器内部错误"}},
    {1012, {"The server is restarting", "服务器正在重启"}},
    {1013, {"The server is busy; try again later", "服务器繁忙，请稍后重试"}},
    {1014, {"Bad gateway", "网关错误"}},
    {1015, {"TLS handshake failed", "TLS 握手失败"}},
};
// Codes 3000–3999 are registered by libraries and 4000–4999 are private to the application, so
// they get one generic text per range.
constexpr CodedText kWsCloseRegistered = {3000, {"Closed by the server", "服务器关闭了连接"}};
constexpr CodedText kWsCloseApplication = {4000, {"Closed by the server application",
                                                  "服务器应用关闭了连接"}};

// ---------------------------------------------------------------------------------------------
// Errors by key; {N} is the N-th argument of format(). Keys (argument meaning in parentheses):
//   results:    result_0, result_-1 … result_-7 (the sipw_post return codes)
//   synchronous: null_worker, null_argument(name), invalid_json(detail),
//     payload_not_object(command), payload_too_large(bytes), invalid_utf8(where), missing_field(field), wrong_type(field, type),
//     invalid_value(field, why), unknown_command(cmd), unsupported_command(cmd),
//     unsupported_transport(uri), invalid_uri(field, value), not_initialized(command),
//     wrong_state(command, state), unknown_session(id), duplicate_session(id), shutting_down,
//     unknown_listener(id), invalid_options(detail), internal(detail), not_registered,
//     already_registered, invalid_dtmf(tones), dtmf_rfc4733_unavailable, file_not_found(path),
//     unknown_play(id), duplicate_play(id), not_recording, not_playing_file, unknown_message_key(key)
//   warnings:   unknown_field(field), no_sound_device(what), events_dropped(count),
//     ignored_field(field, why), dtmf_failed(detail), record_failed(detail), call_play_failed(detail)
//   transport:  connection_refused(server), connection_timeout(server), connection_lost(server),
//     tls_verify_failed(server, detail), tls_handshake_failed(server, detail),
//     tls_certificate_expired(server), tls_hostname_mismatch(server), tls_ca_file_unreadable(path),
//     tls_setup_failed(detail), dns_failed(host), transport_error(detail),
//     server_failover(from, to), network_unreachable(detail), all_servers_failed
//   WebSocket:  ws_closed(server, code and text), ws_protocol_error(server, detail),
//     ws_handshake_failed(server, detail), ws_no_sip_protocol(server), ws_keepalive_timeout(server),
//     ws_bad_message(server, detail), ws_foreign_peer(port)
//   media:      ice_failed, dtls_failed, sdp_incompatible(detail), sdp_bad_answer(detail),
//     audio_input_failed(detail), audio_output_failed(detail), gathering_timeout,
//     turn_auth_failed(server), codec_unsupported(codec), rtp_timeout(seconds)
constexpr NamedText kErrors[] = {
    // sipw_post result codes
    {"result_0", {"OK", "成功"}},
    {"result_-1", {"Invalid argument or payload", "参数或请求内容无效"}},
    {"result_-2", {"Not allowed in the current state", "当前状态下无法执行此操作"}},
    {"result_-3", {"Unknown session ID", "会话 ID 不存在"}},
    {"result_-4", {"Unknown or unsupported command", "未知或不支持的命令"}},
    {"result_-5", {"The worker is shutting down", "SipWorker 正在关闭"}},
    {"result_-6", {"Unknown listener ID", "监听器 ID 不存在"}},
    {"result_-7", {"Internal error", "内部错误"}},

    // Synchronous errors of sipw_post
    {"null_worker", {"The worker handle is null", "SipWorker 句柄为空"}},
    {"null_argument", {"Argument \"{0}\" must not be null", "参数“{0}”不能为空"}},
    {"invalid_json", {"Invalid JSON: {0}", "JSON 格式错误：{0}"}},
    {"payload_not_object", {"The payload of {0} must be a JSON object",
                            "{0} 命令的参数必须是 JSON 对象"}},
    {"payload_too_large", {"Payload too large (limit: {0} bytes)",
                           "请求内容过大（上限 {0} 字节）"}},
    {"invalid_utf8", {"Invalid UTF-8 in {0}", "{0} 中含有无效的 UTF-8 编码"}},
    {"missing_field", {"Missing required field \"{0}\"", "缺少必填字段“{0}”"}},
    {"wrong_type", {"Field \"{0}\" must be {1}", "字段“{0}”的类型应为 {1}"}},
    {"invalid_value", {"Invalid value for \"{0}\": {1}", "字段“{0}”的值无效：{1}"}},
    {"unknown_command", {"Unknown command \"{0}\"", "未知命令“{0}”"}},
    {"unsupported_command", {"Command \"{0}\" is not supported", "暂不支持命令“{0}”"}},
    {"unsupported_transport", {"Unsupported transport: {0}", "不支持的传输方式：{0}"}},
    {"invalid_uri", {"Invalid URI in \"{0}\": {1}", "字段“{0}”中的地址无效：{1}"}},
    {"not_initialized", {"Cannot run {0}: INIT has not been sent",
                         "尚未初始化，无法执行 {0}（请先发送 INIT）"}},
    {"wrong_state", {"Cannot run {0} in state {1}", "当前状态（{1}）下无法执行 {0}"}},
    {"unknown_session", {"No session with ID \"{0}\"", "找不到会话“{0}”"}},
    {"hangup_in_progress", {"Cannot run {0}: the call is already being hung up",
                            "无法执行 {0}：该通话正在挂断"}},
    {"duplicate_session", {"Session ID \"{0}\" already exists", "会话 ID“{0}”已存在"}},
    {"shutting_down", {"The worker is shutting down", "SipWorker 正在关闭，无法再执行命令"}},
    {"unknown_listener", {"No listener with ID {0}", "找不到监听器 {0}"}},
    {"invalid_options", {"Invalid options: {0}", "选项无效：{0}"}},
    {"internal", {"Internal error: {0}", "内部错误：{0}"}},
    {"not_registered", {"Not registered with the SIP server", "尚未注册到 SIP 服务器"}},
    {"already_registered", {"Already registered", "已经注册，无需重复注册"}},
    {"invalid_dtmf", {"Invalid DTMF tones \"{0}\" (1 to 64 of 0-9 * # A-D)",
                      "无效的按键“{0}”（应为 1 到 64 个 0-9、*、#、A-D）"}},
    {"dtmf_rfc4733_unavailable", {"The other party did not accept RFC 4733 DTMF (telephone-event); use transport \"info\" or \"auto\"",
                                  "对方不支持 RFC 4733 按键音（telephone-event），请改用 \"info\" 或 \"auto\" 方式"}},
    {"file_not_found", {"File not found or not readable: {0}", "找不到文件或无法读取：{0}"}},
    {"unknown_play", {"No playback with ID \"{0}\"", "找不到播放“{0}”"}},
    {"duplicate_play", {"Playback ID \"{0}\" is already playing", "播放 ID“{0}”正在使用中"}},
    {"not_recording", {"This call is not being recorded", "该通话没有在录音"}},
    {"not_playing_file", {"No file is playing into this call", "该通话没有在播放文件"}},
    // format() answers this for a key missing from the table.
    {"unknown_message_key", {"Internal error: no text for message key \"{0}\"",
                             "内部错误：找不到消息“{0}”的文本"}},

    // Warnings
    {"unknown_field", {"Unknown field \"{0}\" was ignored", "已忽略未知字段“{0}”"}},
    {"no_sound_device", {"No sound device found; {0} uses silence instead",
                         "未找到声音设备，{0} 已改用静音"}},
    {"events_dropped", {"{0} events were dropped because the queue was full",
                        "事件队列已满，已丢弃 {0} 个事件"}},
    {"ice_strategy_unknown", {"Unknown ICE strategy \"{0}\"; using \"first-server\"",
                              "未知的 ICE 策略“{0}”，已改用“first-server”"}},
    {"ice_server_invalid", {"ICE server \"{0}\" is not usable and was ignored",
                            "ICE 服务器“{0}”不可用，已忽略"}},
    {"ice_server_ignored", {"Only one STUN server is used; \"{0}\" was ignored",
                            "只使用一个 STUN 服务器，已忽略“{0}”"}},
    {"ice_address_unknown", {"No local address matches \"{0}\" (ice.addresses)",
                             "没有与“{0}”匹配的本地地址（ice.addresses）"}},
    {"reinvite_failed", {"The other party refused the re-INVITE ({0}); the call goes on unchanged",
                         "对方拒绝了重新协商（{0}），通话保持原状"}},
    {"reinvite_answer_missing", {"The other party asked for our offer (re-INVITE without SDP) but its ACK carried no answer; the call goes on unchanged",
                                 "对方请求我方重新提供媒体描述（无 SDP 的 re-INVITE），但其 ACK 中没有应答，通话保持原状"}},
    {"ignored_field", {"Field \"{0}\" was ignored: {1}", "已忽略字段“{0}”：{1}"}},
    {"record_failed", {"The call could not be recorded: {0}", "通话录音失败：{0}"}},
    {"call_play_failed", {"The file could not be played into the call: {0}", "无法向通话中播放文件：{0}"}},
    {"dtmf_failed", {"DTMF could not be sent ({0}); the remaining tones were dropped",
                     "按键音发送失败（{0}），其余按键已取消"}},

    // Transport and TLS
    {"connection_refused", {"Server {0} refused the connection", "服务器 {0} 拒绝连接"}},
    {"connection_timeout", {"Timed out connecting to server {0}", "连接服务器 {0} 超时"}},
    {"connection_lost", {"Lost the connection to server {0}", "与服务器 {0} 的连接已断开"}},
    {"tls_verify_failed", {"Cannot verify the certificate of server {0}: {1}",
                           "服务器 {0} 的证书验证失败：{1}"}},
    {"tls_handshake_failed", {"TLS handshake with server {0} failed: {1}",
                              "与服务器 {0} 的 TLS 握手失败：{1}"}},
    {"tls_certificate_expired", {"The certificate of server {0} has expired",
                                 "服务器 {0} 的证书已过期"}},
    {"tls_hostname_mismatch", {"The certificate does not match server {0}",
                               "证书与服务器 {0} 的域名不匹配"}},
    {"tls_ca_file_unreadable", {"Cannot read the CA file {0}", "无法读取 CA 证书文件 {0}"}},
    {"tls_setup_failed", {"TLS setup failed: {0}", "TLS 初始化失败：{0}"}},
    {"dns_failed", {"Cannot resolve host {0}", "无法解析域名 {0}"}},
    {"transport_error", {"Transport error: {0}", "传输错误：{0}"}},
    {"server_failover", {"Server {0} is unreachable; switching to {1}",
                         "服务器 {0} 无法连接，已切换到 {1}"}},
    {"network_unreachable", {"Network unreachable: {0}", "网络不可达：{0}"}},
    {"all_servers_failed", {"Could not connect to any server", "所有服务器均无法连接"}},

    // SIP over WebSocket
    {"ws_closed", {"Server {0} closed the WebSocket connection: {1}", "服务器 {0} 关闭了 WebSocket 连接：{1}"}},
    {"ws_protocol_error", {"WebSocket protocol error with server {0}: {1}",
                           "与服务器 {0} 的 WebSocket 通信出现协议错误：{1}"}},
    {"ws_handshake_failed", {"Server {0} refused the WebSocket connection: {1}",
                             "服务器 {0} 拒绝了 WebSocket 连接：{1}"}},
    {"ws_no_sip_protocol", {"Server {0} does not offer SIP over WebSocket (subprotocol \"sip\")",
                            "服务器 {0} 不支持 SIP over WebSocket（未接受子协议“sip”）"}},
    {"ws_keepalive_timeout", {"Server {0} stopped answering WebSocket pings",
                              "服务器 {0} 不再响应 WebSocket 心跳"}},
    {"ws_bad_message", {"Ignored an invalid SIP message from {0}: {1}", "已忽略来自 {0} 的无效 SIP 消息：{1}"}},
    {"ws_foreign_peer", {"Refused a connection from another program (local port {0}) to the WebSocket link",
                         "已拒绝其他程序（本地端口 {0}）接入 WebSocket 连接"}},

    // Media
    {"ice_failed", {"Could not establish the media connection (ICE)", "媒体连接建立失败（ICE）"}},
    {"dtls_failed", {"Media encryption handshake failed (DTLS)", "媒体加密握手失败（DTLS）"}},
    {"sdp_incompatible", {"No common media format with the other party: {0}",
                          "与对方的媒体格式不兼容：{0}"}},
    {"sdp_bad_answer", {"Invalid SDP answer: {0}", "对方返回的媒体描述（SDP）无效：{0}"}},
    {"audio_input_failed", {"Cannot open the microphone: {0}", "无法打开麦克风：{0}"}},
    {"audio_output_failed", {"Cannot open the speaker: {0}", "无法打开扬声器：{0}"}},
    {"gathering_timeout", {"Timed out gathering network candidates (ICE)",
                           "收集网络候选地址超时（ICE）"}},
    {"turn_auth_failed", {"TURN server {0} rejected the credentials", "TURN 服务器 {0} 认证失败"}},
    {"codec_unsupported", {"Unsupported codec {0}", "不支持的编解码器 {0}"}},
    {"rtp_timeout", {"No audio received for {0} seconds", "已有 {0} 秒未收到对方的语音"}},
};

// ---------------------------------------------------------------------------------------------

template <std::size_t N>
const Text *findByName(const NamedText (&table)[N], std::string_view name) {
    for (const NamedText &entry : table)
        if (entry.name == name) return &entry.text;
    return nullptr;
}

template <std::size_t N>
const Text *findByCode(const CodedText (&table)[N], int code) {
    for (const CodedText &entry : table)
        if (entry.code == code) return &entry.text;
    return nullptr;
}

template <std::size_t N>
std::vector<std::string_view> namesOf(const NamedText (&table)[N]) {
    std::vector<std::string_view> names;
    names.reserve(N);
    for (const NamedText &entry : table) names.push_back(entry.name);
    return names;
}

template <std::size_t N>
std::vector<int> codesOf(const CodedText (&table)[N]) {
    std::vector<int> codes;
    codes.reserve(N);
    for (const CodedText &entry : table) codes.push_back(entry.code);
    return codes;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Replaces each {N} by args[N] in one left-to-right pass, so braces inside an argument are
// never expanded again. A {N} without an argument, and any other brace, stays as written.
std::string fill(std::string_view pattern, const std::vector<std::string> &args) {
    std::string out;
    out.reserve(pattern.size() + 16);
    std::size_t i = 0;
    while (i < pattern.size()) {
        if (pattern[i] == '{') {
            // At most 4 digits, so the index cannot overflow.
            std::size_t j = i + 1;
            std::size_t index = 0;
            while (j < pattern.size() && j - i <= 4 && pattern[j] >= '0' && pattern[j] <= '9') {
                index = index * 10 + static_cast<std::size_t>(pattern[j] - '0');
                ++j;
            }
            bool isPlaceholder = j > i + 1 && j < pattern.size() && pattern[j] == '}';
            if (isPlaceholder && index < args.size()) {
                out += args[index];
                i = j + 1;
                continue;
            }
        }
        out += pattern[i];
        ++i;
    }
    return out;
}

}  // namespace

bool parseLocale(std::string_view name, Locale &out) {
    for (std::string_view zh : {"zh-CN", "zh", "zh_CN", "zh-Hans"}) {
        if (equalsIgnoringCase(name, zh)) {
            out = Locale::ZhCN;
            return true;
        }
    }
    for (std::string_view en : {"en", "en-US", "en_US"}) {
        if (equalsIgnoringCase(name, en)) {
            out = Locale::En;
            return true;
        }
    }
    return false;
}

const Text *cause(std::string_view jssipCause) { return findByName(kCauses, jssipCause); }

const std::vector<std::string_view> &allCauses() {
    static const std::vector<std::string_view> names = namesOf(kCauses);
    return names;
}

std::string_view causeForStatus(int sipStatus) {
    for (const CauseCodes &entry : kSipErrorCauses)
        for (int code : entry.codes)
            if (code != 0 && code == sipStatus) return entry.cause;
    // Like JsSIP, every other code (callers only pass final failures, >= 300).
    return "SIP Failure Code";
}

const Text *reasonPhrase(int sipStatus) { return findByCode(kReasonPhrases, sipStatus); }

const Text *statusClass(int sipStatus) {
    if (sipStatus < 100 || sipStatus > 699) return nullptr;
    return &kStatusClasses[sipStatus / 100];
}

const std::vector<int> &allStatusCodes() {
    static const std::vector<int> codes = codesOf(kReasonPhrases);
    return codes;
}

const Text *eventMessage(std::string_view msg) { return findByName(kEventMessages, msg); }

const std::vector<std::string_view> &allEventMessages() {
    static const std::vector<std::string_view> names = namesOf(kEventMessages);
    return names;
}

const Text *wsCloseCode(int code) {
    if (code >= 3000 && code <= 3999) return &kWsCloseRegistered.text;
    if (code >= 4000 && code <= 4999) return &kWsCloseApplication.text;
    return findByCode(kWsCloseCodes, code);
}

const std::vector<int> &allWsCloseCodes() {
    static const std::vector<int> codes = codesOf(kWsCloseCodes);
    return codes;
}

const Text *error(std::string_view key) { return findByName(kErrors, key); }

const std::vector<std::string_view> &allErrorKeys() {
    static const std::vector<std::string_view> names = namesOf(kErrors);
    return names;
}

Message format(std::string_view errorKey, const std::vector<std::string> &args) {
    if (const Text *text = error(errorKey)) return {fill(text->en, args), fill(text->zh, args)};
    const Text *unknown = error("unknown_message_key");
    const std::vector<std::string> keyArg{std::string(errorKey)};
    return {fill(unknown->en, keyArg), fill(unknown->zh, keyArg)};
}

}  // namespace sipw::i18n
