//! Per-request behaviour, written into the last user message as
//! `[[mock key=value …]]` so that it travels through llm-chat untouched.
//!
//! | key | meaning |
//! |---|---|
//! | `tokens=N` | reply length in tokens |
//! | `first=MS` | delay before the first token |
//! | `delay=MS` | delay between tokens |
//! | `echo` | reply with the message text after the directive, in one-character tokens |
//! | `fault=500\|503\|429` | answer that HTTP status (429 with `Retry-After: retry_after`) |
//! | `fail_times=N` | with a status fault: fail only the first N attempts of this message |
//! | `fault=hang` | never answer |
//! | `fault=close` | close the connection after `after` tokens |
//! | `fault=malformed` | send a chunk that is not JSON after `after` tokens |
//! | `fault=stall` | stop sending (but keep the connection) after `after` tokens |
//! | `fault=trickle` | 1.5 s between tokens |
//! | `reasoning=reasoning_content\|reasoning\|tags\|unclosed` | think first: in that delta field, inside `<think>…</think>` at the start of the content, or in a `<think>` never closed (then no answer) |
//! | `thoughts=N` | thinking length in tokens (default 5), reported as `completion_tokens_details.reasoning_tokens` |
//! | `bytewise` | one character per chunk, and every chunk written one byte at a time (cuts inside tags and inside UTF-8 sequences) |

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Status(u16),
    Hang,
    Close,
    Malformed,
    Stall,
    Trickle,
}

/// Where the thinking of a reasoning reply goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thinking {
    /// The `reasoning_content` delta field (DeepSeek, vLLM).
    ReasoningContent,
    /// The `reasoning` delta field (some other servers).
    Reasoning,
    /// `<think>…</think>` at the start of the content.
    Tags,
    /// `<think>` at the start of the content, never closed.
    Unclosed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    pub tokens: Option<usize>,
    pub first_ms: Option<u64>,
    pub delay_ms: Option<u64>,
    pub echo: Option<String>,
    pub fault: Option<Fault>,
    pub after: Option<usize>,
    pub retry_after: Option<u64>,
    pub fail_times: Option<usize>,
    pub thinking: Option<Thinking>,
    pub thoughts: Option<usize>,
    pub bytewise: bool,
}

pub fn parse(message: &str) -> Directives {
    let Some(start) = message.find("[[mock") else {
        return Directives::default();
    };
    let rest = &message[start + "[[mock".len()..];
    let Some(end) = rest.find("]]") else {
        return Directives::default();
    };
    let mut found = Directives::default();
    for item in rest[..end].split_whitespace() {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        match key {
            "tokens" => found.tokens = value.parse().ok(),
            "first" => found.first_ms = value.parse().ok(),
            "delay" => found.delay_ms = value.parse().ok(),
            "after" => found.after = value.parse().ok(),
            "retry_after" => found.retry_after = value.parse().ok(),
            "fail_times" => found.fail_times = value.parse().ok(),
            "thoughts" => found.thoughts = value.parse().ok(),
            "bytewise" => found.bytewise = true,
            "reasoning" => {
                found.thinking = match value {
                    "reasoning_content" => Some(Thinking::ReasoningContent),
                    "reasoning" => Some(Thinking::Reasoning),
                    "tags" => Some(Thinking::Tags),
                    "unclosed" => Some(Thinking::Unclosed),
                    _ => None,
                }
            }
            "echo" => found.echo = Some(rest[end + 2..].trim_start().to_owned()),
            "fault" => {
                found.fault = match value {
                    "hang" => Some(Fault::Hang),
                    "close" => Some(Fault::Close),
                    "malformed" => Some(Fault::Malformed),
                    "stall" => Some(Fault::Stall),
                    "trickle" => Some(Fault::Trickle),
                    status => status.parse().ok().map(Fault::Status),
                }
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_read_from_anywhere_in_the_message() {
        let d = parse("hi [[mock tokens=5 first=10 fault=close after=2]] there");
        assert_eq!(d.tokens, Some(5));
        assert_eq!(d.first_ms, Some(10));
        assert_eq!(d.fault, Some(Fault::Close));
        assert_eq!(d.after, Some(2));
        assert_eq!(parse("plain").fault, None);
        assert_eq!(
            parse("[[mock fault=429 retry_after=2]]").fault,
            Some(Fault::Status(429))
        );
        assert_eq!(parse("[[mock echo]] <b>hi</b>").echo.as_deref(), Some("<b>hi</b>"));
        let d = parse("[[mock reasoning=tags thoughts=3 bytewise]]");
        assert_eq!(d.thinking, Some(Thinking::Tags));
        assert_eq!(d.thoughts, Some(3));
        assert!(d.bytewise);
    }
}
