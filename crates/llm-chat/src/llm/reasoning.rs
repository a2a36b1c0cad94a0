//! Keeping a reasoning model's thinking apart from its answer. Servers send
//! the thinking either in a delta field (`reasoning_content`, `reasoning`) or
//! inline, as `<think>…</think>` at the start of the content; a provider's
//! [`ReasoningMode`] says which forms to look for.

use super::{LlmError, StreamEvent};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Where a provider's models put their thinking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningMode {
    /// Both the delta fields and leading think tags.
    #[default]
    Auto,
    /// Only `reasoning_content` / `reasoning` in the deltas; the content is all answer.
    Field,
    /// Only leading `<think>…</think>` in the content; delta fields are ignored.
    Tags,
    /// A model without thinking: the content is shown as it comes, delta fields are ignored.
    Off,
}

impl ReasoningMode {
    pub fn parse(raw: &str) -> Result<ReasoningMode, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ReasoningMode::Auto),
            "field" => Ok(ReasoningMode::Field),
            "tags" => Ok(ReasoningMode::Tags),
            "off" => Ok(ReasoningMode::Off),
            _ => Err("expected auto, field, tags or off".to_owned()),
        }
    }

    fn reads_fields(self) -> bool {
        matches!(self, ReasoningMode::Auto | ReasoningMode::Field)
    }

    fn reads_tags(self) -> bool {
        matches!(self, ReasoningMode::Auto | ReasoningMode::Tags)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing but whitespace (or the beginning of `<think>`) so far.
    Start,
    /// Inside the think tags; leading whitespace not yet passed.
    Thinking {
        begun: bool,
    },
    /// After `</think>`: whitespace before the answer is dropped.
    Between,
    Answer,
}

/// A streaming splitter of leading think tags: text that may still turn out
/// to be a tag is held back until the next piece decides it.
#[derive(Debug)]
pub struct ThinkTags {
    phase: Phase,
    held: String,
}

/// What one piece of content turned into.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub reasoning: String,
    pub answer: String,
}

impl Default for ThinkTags {
    fn default() -> Self {
        ThinkTags {
            phase: Phase::Start,
            held: String::new(),
        }
    }
}

impl ThinkTags {
    /// Feeds the next piece of content.
    pub fn push(&mut self, piece: &str) -> Split {
        let mut out = Split::default();
        self.held.push_str(piece);
        loop {
            match self.phase {
                Phase::Start => {
                    let rest = self.held.trim_start();
                    if let Some(after) = rest.strip_prefix(OPEN) {
                        self.held = after.to_owned();
                        self.phase = Phase::Thinking { begun: false };
                    } else if OPEN.starts_with(rest) {
                        return out;
                    } else {
                        out.answer.push_str(&std::mem::take(&mut self.held));
                        self.phase = Phase::Answer;
                    }
                }
                Phase::Thinking { begun } => {
                    if !begun {
                        let rest = self.held.trim_start();
                        if rest.is_empty() {
                            self.held.clear();
                            return out;
                        }
                        self.held = rest.to_owned();
                        self.phase = Phase::Thinking { begun: true };
                    }
                    if let Some(end) = self.held.find(CLOSE) {
                        out.reasoning.push_str(&self.held[..end]);
                        self.held.drain(..end + CLOSE.len());
                        self.phase = Phase::Between;
                        continue;
                    }
                    let keep = partial_suffix(&self.held, CLOSE);
                    let emit = self.held.len() - keep;
                    out.reasoning.push_str(&self.held[..emit]);
                    self.held.drain(..emit);
                    return out;
                }
                Phase::Between => {
                    let rest = self.held.trim_start();
                    if rest.is_empty() {
                        self.held.clear();
                        return out;
                    }
                    out.answer.push_str(rest);
                    self.held.clear();
                    self.phase = Phase::Answer;
                }
                Phase::Answer => {
                    out.answer.push_str(&std::mem::take(&mut self.held));
                    return out;
                }
            }
        }
    }

    /// The content ended: what was held back is given out as it stands. A
    /// think tag never closed leaves everything as thinking.
    pub fn finish(&mut self) -> Split {
        let held = std::mem::take(&mut self.held);
        match self.phase {
            Phase::Start => Split {
                reasoning: String::new(),
                answer: held,
            },
            Phase::Thinking { .. } => Split {
                reasoning: held,
                answer: String::new(),
            },
            Phase::Between | Phase::Answer => Split::default(),
        }
    }

    /// A whole text split at once.
    pub fn split(text: &str) -> Split {
        let mut tags = ThinkTags::default();
        let mut first = tags.push(text);
        let last = tags.finish();
        first.reasoning.push_str(&last.reasoning);
        first.answer.push_str(&last.answer);
        first
    }
}

/// The answer of a complete (not streamed) reply: without its leading think
/// tags when `mode` looks for them.
pub fn answer_only(text: &str, mode: ReasoningMode) -> String {
    if mode.reads_tags() {
        ThinkTags::split(text).answer
    } else {
        text.to_owned()
    }
}

/// The length of the longest end of `text` that begins `pattern` (without being all of it).
fn partial_suffix(text: &str, pattern: &str) -> usize {
    (1..pattern.len())
        .rev()
        .find(|&n| {
            text.len() >= n && text.is_char_boundary(text.len() - n) && pattern.starts_with(&text[text.len() - n..])
        })
        .unwrap_or(0)
}

/// The events of a streamed reply with the thinking separated as `mode` says.
pub fn separate(
    upstream: BoxStream<'static, Result<StreamEvent, LlmError>>,
    mode: ReasoningMode,
) -> BoxStream<'static, Result<StreamEvent, LlmError>> {
    struct State {
        upstream: BoxStream<'static, Result<StreamEvent, LlmError>>,
        tags: Option<ThinkTags>,
        ready: VecDeque<Result<StreamEvent, LlmError>>,
        ended: bool,
    }
    fn queue(ready: &mut VecDeque<Result<StreamEvent, LlmError>>, split: Split) {
        if !split.reasoning.is_empty() {
            ready.push_back(Ok(StreamEvent::Reasoning(split.reasoning)));
        }
        if !split.answer.is_empty() {
            ready.push_back(Ok(StreamEvent::Delta(split.answer)));
        }
    }
    let state = State {
        upstream,
        tags: mode.reads_tags().then(ThinkTags::default),
        ready: VecDeque::new(),
        ended: false,
    };
    stream::unfold(state, move |mut s| async move {
        loop {
            if let Some(event) = s.ready.pop_front() {
                return Some((event, s));
            }
            if s.ended {
                return None;
            }
            match s.upstream.next().await {
                Some(Ok(StreamEvent::Delta(text))) => match s.tags.as_mut() {
                    Some(tags) => queue(&mut s.ready, tags.push(&text)),
                    None => s.ready.push_back(Ok(StreamEvent::Delta(text))),
                },
                Some(Ok(StreamEvent::Reasoning(text))) => {
                    if mode.reads_fields() {
                        s.ready.push_back(Ok(StreamEvent::Reasoning(text)));
                    }
                }
                // Held-back text belongs before the finish reason and usage.
                Some(Ok(other)) => {
                    if let Some(tags) = s.tags.as_mut() {
                        queue(&mut s.ready, tags.finish());
                    }
                    s.ready.push_back(Ok(other));
                }
                Some(Err(err)) => {
                    if let Some(tags) = s.tags.as_mut() {
                        queue(&mut s.ready, tags.finish());
                    }
                    s.ready.push_back(Err(err));
                }
                None => {
                    if let Some(tags) = s.tags.as_mut() {
                        queue(&mut s.ready, tags.finish());
                    }
                    s.ended = true;
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` one after another and joins what came out.
    fn feed(pieces: &[&str]) -> Split {
        let mut tags = ThinkTags::default();
        let mut all = Split::default();
        for piece in pieces {
            let out = tags.push(piece);
            all.reasoning.push_str(&out.reasoning);
            all.answer.push_str(&out.answer);
        }
        let out = tags.finish();
        all.reasoning.push_str(&out.reasoning);
        all.answer.push_str(&out.answer);
        all
    }

    fn split(reasoning: &str, answer: &str) -> Split {
        Split {
            reasoning: reasoning.into(),
            answer: answer.into(),
        }
    }

    fn boundaries(text: &str) -> Vec<usize> {
        (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect()
    }

    #[test]
    fn leading_think_tags_are_split_from_the_answer_at_every_cut() {
        let text = "\n<think>\n想一想 a<b </thi\n</think>\n\n答案是 <think>42</think>";
        let expected = split("想一想 a<b </thi\n", "答案是 <think>42</think>");
        assert_eq!(ThinkTags::split(text), expected);
        let cuts = boundaries(text);
        for &i in &cuts {
            assert_eq!(feed(&[&text[..i], &text[i..]]), expected, "cut at {i}");
            for &j in cuts.iter().filter(|&&j| j >= i) {
                assert_eq!(
                    feed(&[&text[..i], &text[i..j], &text[j..]]),
                    expected,
                    "cuts at {i} and {j}"
                );
            }
        }
        let pieces: Vec<String> = text.chars().map(String::from).collect();
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        assert_eq!(feed(&pieces), expected);
    }

    #[test]
    fn an_unclosed_tag_leaves_everything_as_thinking() {
        let text = "<think>still going </thi";
        for &i in &boundaries(text) {
            assert_eq!(
                feed(&[&text[..i], &text[i..]]),
                split("still going </thi", ""),
                "cut at {i}"
            );
        }
    }

    #[test]
    fn text_without_a_leading_tag_is_all_answer() {
        for text in [
            "Hello <think>no</think>",
            "  indented",
            "<thin",
            "<b>bold</b>",
            "",
            " \n",
        ] {
            for &i in &boundaries(text) {
                assert_eq!(feed(&[&text[..i], &text[i..]]), split("", text), "{text:?} cut at {i}");
            }
        }
    }

    #[test]
    fn an_empty_think_block_gives_no_thinking() {
        assert_eq!(ThinkTags::split("<think>\n\n</think>\n\nHi"), split("", "Hi"));
    }

    #[test]
    fn a_complete_reply_loses_its_tags_only_where_the_mode_looks_for_them() {
        assert_eq!(answer_only("<think>x</think>Title", ReasoningMode::Auto), "Title");
        assert_eq!(
            answer_only("<think>x</think>Title", ReasoningMode::Field),
            "<think>x</think>Title"
        );
    }

    #[test]
    fn modes_parse_from_their_names() {
        assert_eq!(ReasoningMode::parse("Tags"), Ok(ReasoningMode::Tags));
        assert_eq!(ReasoningMode::parse(" off "), Ok(ReasoningMode::Off));
        assert!(ReasoningMode::parse("yes").is_err());
    }

    async fn run(mode: ReasoningMode, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        let upstream = stream::iter(events.into_iter().map(Ok)).boxed();
        let out: Vec<Result<StreamEvent, LlmError>> = separate(upstream, mode).collect().await;
        out.into_iter().map(Result::unwrap).collect()
    }

    #[tokio::test]
    async fn modes_choose_which_forms_count_as_thinking() {
        let events = || {
            vec![
                StreamEvent::Reasoning("field".into()),
                StreamEvent::Delta("<think>tag</th".into()),
                StreamEvent::Delta("ink>answer".into()),
                StreamEvent::Finish("stop".into()),
            ]
        };
        let reasoning = |t: &str| StreamEvent::Reasoning(t.into());
        let delta = |t: &str| StreamEvent::Delta(t.into());
        let stop = StreamEvent::Finish("stop".into());
        assert_eq!(
            run(ReasoningMode::Auto, events()).await,
            [reasoning("field"), reasoning("tag"), delta("answer"), stop.clone()]
        );
        assert_eq!(
            run(ReasoningMode::Field, events()).await,
            [
                reasoning("field"),
                delta("<think>tag</th"),
                delta("ink>answer"),
                stop.clone()
            ]
        );
        assert_eq!(
            run(ReasoningMode::Tags, events()).await,
            [reasoning("tag"), delta("answer"), stop.clone()]
        );
        assert_eq!(
            run(ReasoningMode::Off, events()).await,
            [delta("<think>tag</th"), delta("ink>answer"), stop]
        );
        assert_eq!(
            run(ReasoningMode::Auto, vec![StreamEvent::Delta("<think>cut".into())]).await,
            [reasoning("cut")]
        );
    }
}
