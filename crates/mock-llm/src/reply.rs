//! What the mock replies: the answer's tokens and, for a reasoning reply,
//! its thinking before them, each piece with the delta field that carries it.

use crate::directives::{Directives, Thinking};
use serde_json::{Value, json};

/// The answer, as the tokens it is streamed in.
fn reply_tokens(directives: &Directives, default_len: usize) -> Vec<String> {
    if let Some(text) = &directives.echo {
        return text.chars().map(String::from).collect();
    }
    (0..directives.tokens.unwrap_or(default_len))
        .map(|i| format!("w{i} "))
        .collect()
}

/// One streamed piece and the delta field that carries it.
pub struct Piece {
    pub field: &'static str,
    pub text: String,
}

/// The whole reply in the order it is streamed: thinking (in a field or in
/// think tags) then the answer. Also the token counts of both.
pub fn reply_pieces(directives: &Directives, default_len: usize) -> (Vec<Piece>, TokenCounts) {
    let answer = reply_tokens(directives, default_len);
    let thoughts: Vec<String> = match directives.thinking {
        None => Vec::new(),
        Some(_) => (0..directives.thoughts.unwrap_or(5))
            .map(|i| format!("想{i} "))
            .collect(),
    };
    let piece = |field: &'static str| move |text: String| Piece { field, text };
    let content = |texts: Vec<String>| texts.into_iter().map(piece("content"));
    let tag = |text: &str| Piece {
        field: "content",
        text: text.to_owned(),
    };
    let counts = TokenCounts {
        answer: answer.len(),
        thoughts: thoughts.len(),
    };
    let mut pieces: Vec<Piece> = match directives.thinking {
        None => content(answer).collect(),
        Some(Thinking::ReasoningContent) => thoughts
            .into_iter()
            .map(piece("reasoning_content"))
            .chain(content(answer))
            .collect(),
        Some(Thinking::Reasoning) => thoughts
            .into_iter()
            .map(piece("reasoning"))
            .chain(content(answer))
            .collect(),
        Some(Thinking::Tags) => std::iter::once(tag("<think>\n"))
            .chain(content(thoughts))
            .chain(std::iter::once(tag("</think>\n\n")))
            .chain(content(answer))
            .collect(),
        Some(Thinking::Unclosed) => std::iter::once(tag("<think>\n")).chain(content(thoughts)).collect(),
    };
    if directives.bytewise {
        pieces = pieces
            .into_iter()
            .flat_map(|p| {
                p.text
                    .chars()
                    .map(|c| Piece {
                        field: p.field,
                        text: c.to_string(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    (pieces, counts)
}

#[derive(Debug, Clone, Copy)]
pub struct TokenCounts {
    answer: usize,
    thoughts: usize,
}

impl TokenCounts {
    /// The `usage` object, with the thinking's share when there was thinking.
    pub fn usage(self, prompt: usize, reasoning: bool) -> Value {
        let completion = self.answer + self.thoughts;
        let mut usage =
            json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion});
        if reasoning {
            usage["completion_tokens_details"] = json!({"reasoning_tokens": self.thoughts});
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytewise_think_tags_come_one_character_at_a_time_in_order() {
        let directives = crate::directives::parse("[[mock reasoning=tags thoughts=2 tokens=1 bytewise]]");
        let (pieces, counts) = reply_pieces(&directives, 20);
        let text: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(text, "<think>\n想0 想1 </think>\n\nw0 ");
        assert!(
            pieces
                .iter()
                .all(|p| p.text.chars().count() == 1 && p.field == "content")
        );
        assert_eq!(
            counts.usage(3, true)["completion_tokens_details"]["reasoning_tokens"],
            2
        );
        assert_eq!(counts.usage(3, true)["completion_tokens"], 3);
    }
}
