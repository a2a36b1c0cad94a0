//! The built-in `demo` model: offered only while no model server is
//! configured, it explains (in the user's language) how to connect one, so a
//! newcomer can try the whole system first.

use super::StreamEvent;
use futures_util::Stream;
use std::time::Duration;

pub const DEMO_MODEL: &str = "demo";

const ZH: &str = "你好！这是 **llm-chat** 的内置演示模型，还没有连接真正的大模型服务。\n\n\
要连接模型服务（vLLM、Ollama、llama.cpp、GLM、DeepSeek、OpenAI 等任何 OpenAI 兼容接口），请设置环境变量后重启：\n\n\
```sh\nLLM_API_URL=http://127.0.0.1:11434/v1\nLLM_MODEL=qwen2.5:7b\nLLM_API_KEY=你的密钥（没有可留空）\n```\n\n\
多个服务可以写进 `LLM_PROVIDERS_FILE` 指向的 TOML 文件。配置好之后，这个演示模型会自动消失。\n\n\
你刚才说的是：";

const EN: &str = "Hello! This is the built-in demo model of **llm-chat**; no real model server is connected yet.\n\n\
To connect one (vLLM, Ollama, llama.cpp, GLM, DeepSeek, OpenAI or any OpenAI-compatible server), set these variables and restart:\n\n\
```sh\nLLM_API_URL=http://127.0.0.1:11434/v1\nLLM_MODEL=qwen2.5:7b\nLLM_API_KEY=your-key (may be empty)\n```\n\n\
Several servers can be listed in a TOML file named by `LLM_PROVIDERS_FILE`. Once one is configured, this demo model disappears.\n\n\
You said: ";

/// Chinese when the message has Chinese characters or the browser prefers it.
fn prefers_chinese(message: &str, accept_language: Option<&str>) -> bool {
    message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        || accept_language.is_some_and(|lang| lang.trim_start().to_ascii_lowercase().starts_with("zh"))
}

/// The demo reply, streamed a few characters at a time like a real model.
pub fn demo_reply(message: &str, accept_language: Option<&str>) -> impl Stream<Item = StreamEvent> + Send + 'static {
    let intro = if prefers_chinese(message, accept_language) {
        ZH
    } else {
        EN
    };
    let quoted: String = message.chars().take(200).collect();
    let text = format!("{intro}“{quoted}”");
    let chars: Vec<char> = text.chars().collect();
    let pieces: Vec<String> = chars.chunks(6).map(|c| c.iter().collect()).collect();
    futures_util::stream::unfold(pieces.into_iter(), |mut pieces| async move {
        match pieces.next() {
            Some(piece) => {
                tokio::time::sleep(Duration::from_millis(15)).await;
                Some((StreamEvent::Delta(piece), pieces))
            }
            None => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_message_then_the_browser() {
        assert!(prefers_chinese("你好", None));
        assert!(prefers_chinese("hello", Some("zh-CN,zh;q=0.9")));
        assert!(!prefers_chinese("hello", Some("en-US")));
    }
}
