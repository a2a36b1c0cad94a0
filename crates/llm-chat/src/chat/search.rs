//! Search results as clients see them: which conversation and message
//! matched, and a snippet around the match cut into plain-text parts, the
//! matched ones flagged, so that a client highlights without parsing HTML.

use super::{ChatError, ChatService};
use crate::store::{MAX_CANDIDATES, MessageRole, SearchRow, SearchTerms, lower};
use serde::Serialize;
use utoipa::ToSchema;

/// Characters of context shown before the first match.
const BEFORE: usize = 30;
/// Length of a snippet, in characters.
const SNIPPET: usize = 160;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SnippetPart {
    /// Plain text (never HTML).
    pub text: String,
    /// True for the text a search term matched.
    pub hit: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub conversation_id: String,
    pub conversation_title: String,
    pub archived: bool,
    /// The message that matched; `null` when the conversation's title matched.
    pub message_id: Option<String>,
    pub role: Option<MessageRole>,
    /// The matching text around the first match; `…` marks cut ends.
    pub snippet: Vec<SnippetPart>,
    /// When the message was written (or the conversation last active), in ms since the Unix epoch.
    pub at: i64,
}

pub struct SearchPage {
    pub items: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}

pub struct SearchParams {
    pub q: String,
    pub limit: i64,
    pub cursor: Option<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ChatError {
    ChatError::Invalid {
        field,
        message: message.into(),
    }
}

impl ChatService {
    /// The user's messages and titles containing every word of `q`, best first.
    pub async fn search(&self, user_id: &str, params: SearchParams) -> Result<SearchPage, ChatError> {
        let terms = SearchTerms::parse(&params.q).map_err(|message| invalid("q", message))?;
        if !(1..=50).contains(&params.limit) {
            return Err(invalid("limit", "limit must be between 1 and 50"));
        }
        let limit = usize::try_from(params.limit).unwrap_or(1);
        let offset = match params.cursor.as_deref() {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| *n < MAX_CANDIDATES)
                .ok_or_else(|| {
                    invalid(
                        "cursor",
                        "the cursor is not one this server gave out; start again without it",
                    )
                })?,
        };
        let rows = self.store.search(user_id, &terms).await?;
        let end = (offset + limit).min(rows.len());
        let next_cursor = (end < rows.len()).then(|| end.to_string());
        let items = rows
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|row| hit(row, &terms))
            .collect::<Result<_, _>>()?;
        Ok(SearchPage { items, next_cursor })
    }
}

fn hit(row: SearchRow, terms: &SearchTerms) -> Result<SearchHit, ChatError> {
    Ok(SearchHit {
        role: row.role()?,
        snippet: snippet(&row.body, terms.terms()),
        conversation_id: row.conversation_id,
        conversation_title: row.title,
        archived: row.archived,
        message_id: row.message_id,
        at: row.at,
    })
}

/// A window of `text` from a little before the first match, split into
/// matched and unmatched parts. `terms` are already case-folded.
pub fn snippet(text: &str, terms: &[String]) -> Vec<SnippetPart> {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = lower(text).chars().collect();
    let needles: Vec<Vec<char>> = terms.iter().map(|t| t.chars().collect()).collect();
    let matched_at = |at: usize| -> usize {
        needles
            .iter()
            .filter(|n| !n.is_empty() && folded[at..].starts_with(n))
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    };
    let first = (0..chars.len()).find(|&at| matched_at(at) > 0).unwrap_or(0);
    let start = first.saturating_sub(BEFORE);
    let end = (start + SNIPPET).min(chars.len());
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: String, hit: bool| match parts.last_mut() {
        Some(last) if last.hit == hit => last.text.push_str(&text),
        _ => parts.push(SnippetPart { text, hit }),
    };
    if start > 0 {
        push("…".to_owned(), false);
    }
    let mut at = start;
    while at < end {
        let len = matched_at(at).min(end - at);
        if len > 0 {
            push(chars[at..at + len].iter().collect(), true);
            at += len;
        } else {
            push(chars[at].to_string(), false);
            at += 1;
        }
    }
    if end < chars.len() {
        push("…".to_owned(), false);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| if p.hit { format!("[{}]", p.text) } else { p.text.clone() })
            .collect()
    }

    #[test]
    fn matches_are_flagged_in_any_case_and_script() {
        let terms = vec!["rust".to_owned(), "异步".to_owned()];
        let parts = snippet("用 Rust 写异步代码, RUST!", &terms);
        assert_eq!(render(&parts), "用 [Rust] 写[异步]代码, [RUST]!");
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let text = format!("{}needle{}", "a".repeat(100), "b".repeat(300));
        let parts = snippet(&text, &["needle".to_owned()]);
        let shown = render(&parts);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.contains(&format!("{}[needle]b", "a".repeat(BEFORE))), "{shown}");
        assert_eq!(shown.chars().count(), SNIPPET + 2 + 2);
    }

    #[test]
    fn markup_in_the_text_stays_text() {
        let parts = snippet("<img src=x onerror=alert(1)> needle", &["needle".to_owned()]);
        assert_eq!(parts[0].text, "<img src=x onerror=alert(1)> ");
        assert!(!parts[0].hit && parts[1].hit);
    }
}
