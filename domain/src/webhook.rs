//! 群机器人推送: a unit's 企业微信 or 钉钉 group robot, which the commission sets so that the
//! notifications of the unit's people also reach the group chat they already read. The robot's
//! address is checked here (https only), the message body is built here, the robot's answer is
//! judged here, and so is how long a failed delivery waits before its next try.
//!
//! A robot's address carries its key (`?key=…`, `?access_token=…`): whoever holds it may post to
//! the group. It is shown and logged only through [`mask`].

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::FieldError;

/// The longest address accepted.
pub const MAX_URL: usize = 500;

/// How many times a delivery is tried before it is given up (marked failed).
pub const MAX_ATTEMPTS: u32 = 6;

/// Which robot a unit's group has: each wants its own message body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotKind {
    /// 企业微信群机器人.
    Wecom,
    /// 钉钉群机器人.
    Dingtalk,
}

impl RobotKind {
    pub const ALL: [Self; 2] = [Self::Wecom, Self::Dingtalk];

    pub fn code(self) -> &'static str {
        match self {
            Self::Wecom => "wecom",
            Self::Dingtalk => "dingtalk",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Wecom => "企业微信群机器人",
            Self::Dingtalk => "钉钉群机器人",
        }
    }

    pub fn from_code(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == raw)
    }

    /// Reads the kind as sent by the settings form.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::from_code(raw).ok_or_else(|| {
            FieldError::new(
                "unknown_value",
                "kind",
                "机器人类型：请选择企业微信群机器人或钉钉群机器人",
            )
        })
    }

    /// The JSON a robot of this kind takes for a text message.
    pub fn body(self, content: &str) -> Value {
        match self {
            Self::Wecom | Self::Dingtalk => json!({
                "msgtype": "text",
                "text": { "content": content },
            }),
        }
    }
}

/// A robot's address, checked: https (or plain http to this machine itself, for a relay that
/// runs beside the server: nothing then leaves the machine unencrypted), a host, no user name or
/// password in it, no spaces, at most [`MAX_URL`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotUrl(String);

impl RobotUrl {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let refuse = |code: &str, message: &str| {
            Err(FieldError::new(
                code,
                "url",
                format!("机器人地址：{message}"),
            ))
        };
        if raw.is_empty() {
            return refuse("required", "请填写群机器人的 Webhook 地址");
        }
        if raw.chars().count() > MAX_URL {
            return refuse("too_long", &format!("不能超过 {MAX_URL} 个字符"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return refuse("invalid", "不能含有空格或换行");
        }
        let (scheme, rest) = match raw.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => return refuse("not_https", "应以 https:// 开头"),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return refuse("invalid", "不能含有用户名或密码");
        }
        let host = host_of(authority);
        if host.is_empty() {
            return refuse("invalid", "缺少主机名");
        }
        match scheme.as_str() {
            "https" => Ok(Self(raw.to_owned())),
            "http" if is_loopback(host) => Ok(Self(raw.to_owned())),
            _ => refuse(
                "not_https",
                "应以 https:// 开头（推送内容须加密传输；仅本机地址可用 http）",
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The host of `authority` (`host[:port]`, `[v6]:port`), lower case.
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An address as people and logs may see it: its scheme and host, and the last four characters
/// (enough to tell two robots apart, not to post with).
pub fn mask(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = host_of(rest.split(['/', '?', '#']).next().unwrap_or_default());
    let chars: Vec<char> = url.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("{scheme}://{host}/…{tail}")
}

/// The text a group reads: who it is for and what arrived. What it is about stays behind the
/// sign-in: the group is many people, the notice is one person's.
pub fn message(name: &str, what: &str) -> String {
    format!("【廉防】{name}：您有一条新的{what}，请登录廉防查看。")
}

/// The text of a test message the commission sends to check a robot.
pub const TEST_MESSAGE: &str = "【廉防】测试消息：本群已接入廉防的消息推送，此后本单位人员的预警、答复和签署提醒将同时发到本群。";

/// What is sent: the text and the page it is about, as a full address when the site's public
/// origin is known.
pub fn content(text: &str, origin: Option<&str>, link: &str) -> String {
    match origin {
        Some(o) => format!("{text}\n{}{link}", o.trim_end_matches('/')),
        None => text.to_owned(),
    }
}

/// Whether the robot took the message: a 2xx answer, and when it is JSON with an `errcode`
/// (both robots answer so), that code 0. Otherwise what went wrong, for the delivery record.
pub fn judge(status: u16, body: &str) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(v) => match v.get("errcode").and_then(Value::as_i64) {
            Some(0) | None => Ok(()),
            Some(code) => {
                let said = v.get("errmsg").and_then(Value::as_str).unwrap_or_default();
                Err(format!("errcode {code} {}", clip(said, 200))
                    .trim_end()
                    .to_owned())
            }
        },
        Err(_) => Ok(()),
    }
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// How long a delivery that failed its `attempts`-th try waits before the next (1 min, 5 min,
/// 30 min, 2 h, 6 h), or `None` when it has had its [`MAX_ATTEMPTS`] and is given up.
pub fn retry_after_ms(attempts: u32) -> Option<i64> {
    const MINUTE: i64 = 60_000;
    match attempts {
        0 | 1 => Some(MINUTE),
        2 => Some(5 * MINUTE),
        3 => Some(30 * MINUTE),
        4 => Some(120 * MINUTE),
        n if n < MAX_ATTEMPTS => Some(360 * MINUTE),
        _ => None,
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next try.
    Pending,
    Sent,
    /// Given up after [`MAX_ATTEMPTS`] tries.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Sent, Self::Failed];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn from_code(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待发送",
            Self::Sent => "已送达",
            Self::Failed => "发送失败",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_must_be_https_unless_it_stays_on_this_machine() {
        let ok = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=6a1b-77";
        assert_eq!(RobotUrl::parse(ok).unwrap().as_str(), ok);
        assert!(RobotUrl::parse(" https://oapi.dingtalk.com/robot/send?access_token=x ").is_ok());
        assert!(RobotUrl::parse("http://127.0.0.1:8080/hook").is_ok());
        assert!(RobotUrl::parse("http://localhost/hook").is_ok());
        assert!(RobotUrl::parse("http://[::1]:9/hook").is_ok());
        for (raw, code) in [
            (
                "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
                "not_https",
            ),
            ("http://127.0.0.1.example.com/x", "not_https"),
            ("ftp://example.com/x", "not_https"),
            ("qyapi.weixin.qq.com/send", "not_https"),
            ("", "required"),
            ("https://", "invalid"),
            ("https://user:pw@example.com/x", "invalid"),
            ("https://example.com/a b", "invalid"),
        ] {
            let e = RobotUrl::parse(raw).unwrap_err();
            assert_eq!((e.code.as_str(), e.field.as_str()), (code, "url"), "{raw}");
            assert!(e.message.starts_with("机器人地址："), "{}", e.message);
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL));
        assert_eq!(RobotUrl::parse(&long).unwrap_err().code, "too_long");
    }

    #[test]
    fn a_masked_address_keeps_the_host_and_four_characters() {
        let url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=6a1b-77c9";
        assert_eq!(mask(url), "https://qyapi.weixin.qq.com/…77c9");
        assert!(!mask(url).contains("6a1b"));
        assert_eq!(mask("http://127.0.0.1:81/h"), "http://127.0.0.1/…81/h");
    }

    #[test]
    fn the_robot_answer_is_judged_by_status_and_errcode() {
        assert_eq!(judge(200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        assert_eq!(judge(204, ""), Ok(()));
        assert_eq!(judge(500, "boom"), Err("HTTP 500".to_owned()));
        assert_eq!(
            judge(200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#),
            Err("errcode 93000 invalid webhook url".to_owned())
        );
    }

    #[test]
    fn retries_wait_longer_each_time_and_stop_after_the_last_attempt() {
        let waits: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_after_ms).collect();
        assert!(waits[..5].iter().all(Option::is_some));
        assert!(waits.windows(2).take(4).all(|w| w[0] < w[1]));
        assert_eq!(waits[5], None);
    }

    #[test]
    fn the_message_names_the_person_and_links_the_page_but_not_what_it_is_about() {
        let text = message("赵磊", "预警");
        assert_eq!(text, "【廉防】赵磊：您有一条新的预警，请登录廉防查看。");
        assert_eq!(
            content(&text, Some("https://lf.example.gov.cn/"), "/warnings/3"),
            format!("{text}\nhttps://lf.example.gov.cn/warnings/3")
        );
        assert_eq!(content(&text, None, "/warnings/3"), text);
    }

    #[test]
    fn the_body_is_a_text_message_for_both_robots() {
        for kind in RobotKind::ALL {
            let body = kind.body("【廉防】测试");
            assert_eq!(body["msgtype"], "text");
            assert_eq!(body["text"]["content"], "【廉防】测试");
            assert_eq!(RobotKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(RobotKind::parse("slack").unwrap_err().field, "kind");
    }
}
