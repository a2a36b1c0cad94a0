//! Reading an import file as a stream: serde_json walks the file and hands
//! over one conversation at a time (a visitor over the array), so memory holds
//! one conversation however large the file. Each is recognised, converted,
//! checked, and sent to the writer; the first fault stops the whole import.
//!
//! Runs on a blocking thread: parsing is CPU work, and the file is read with
//! ordinary blocking reads.

use super::archive::{ArchivedConversation, FORMAT, VERSION};
use super::draft::{Draft, check_text};
use super::{TransferError, chatgpt, open_webui};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::Path;
use tokio::sync::mpsc::Sender;
use utoipa::ToSchema;

/// The kinds of file an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ImportFormat {
    /// This server's own archive (`GET /api/export`).
    #[serde(rename = "llm-chat")]
    LlmChat,
    /// ChatGPT's `conversations.json`.
    #[serde(rename = "chatgpt")]
    ChatGpt,
    /// Open WebUI's chat export.
    #[serde(rename = "open-webui")]
    OpenWebUi,
}

impl ImportFormat {
    fn name(self) -> &'static str {
        match self {
            ImportFormat::LlmChat => "an llm-chat archive",
            ImportFormat::ChatGpt => "a ChatGPT export",
            ImportFormat::OpenWebUi => "an Open WebUI export",
        }
    }
}

/// One conversation of the file, ready to write or to skip.
pub struct Parsed {
    /// Its position in the file, from 0.
    pub index: usize,
    pub title: String,
    /// Where it came from, e.g. `chatgpt:<id>`; unique per user once imported.
    pub source_key: String,
    /// `Err`: why it is skipped.
    pub draft: Result<Draft, String>,
}

/// Reads the file at `path`, sending each conversation to `sink`; returns the
/// format found (`None` for an empty list) once the whole file was read.
pub fn read(
    path: &Path,
    forced: Option<ImportFormat>,
    sink: &Sender<Parsed>,
) -> Result<Option<ImportFormat>, TransferError> {
    let file = std::fs::File::open(path).map_err(TransferError::Spool)?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let first = first_byte(&mut reader).map_err(TransferError::Spool)?;
    let mut state = State {
        format: forced,
        sink,
        failure: None,
        count: 0,
    };
    let mut json = serde_json::Deserializer::from_reader(reader);
    let parsed = match first {
        Some(b'{') => {
            if let Some(other) = forced.filter(|f| *f != ImportFormat::LlmChat) {
                return Err(TransferError::UnknownFormat(format!(
                    "the file is a JSON object, as an llm-chat archive is, but {} is a JSON array",
                    other.name()
                )));
            }
            state.format = Some(ImportFormat::LlmChat);
            json.deserialize_map(ArchiveDocument(&mut state))
        }
        Some(b'[') => {
            if forced == Some(ImportFormat::LlmChat) {
                return Err(TransferError::UnknownFormat(
                    "the file is a JSON array, but an llm-chat archive is a JSON object".to_owned(),
                ));
            }
            json.deserialize_seq(Elements(&mut state))
        }
        None => return Err(TransferError::UnknownFormat("the file is empty".to_owned())),
        Some(_) => {
            return Err(TransferError::UnknownFormat(
                "this is not a conversation export: expected a JSON array (ChatGPT, Open WebUI) or an llm-chat archive"
                    .to_owned(),
            ));
        }
    };
    let parsed = parsed.and_then(|()| json.end());
    if let Some(failure) = state.failure {
        return Err(failure);
    }
    parsed.map_err(from_json)?;
    Ok(state.format)
}

/// The first byte after a byte-order mark and white space, left unread.
fn first_byte(reader: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    let mut at_start = true;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(None);
        }
        let skip = if at_start && buffer.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        at_start = false;
        match buffer[skip..].iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => {
                let byte = buffer[skip + at];
                reader.consume(skip + at);
                return Ok(Some(byte));
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
            }
        }
    }
}

/// A parse error of serde_json in the words of an import.
fn from_json(err: serde_json::Error) -> TransferError {
    let text = err.to_string();
    match err.classify() {
        serde_json::error::Category::Io => TransferError::Spool(err.into()),
        _ if text.contains("recursion limit") => TransferError::Invalid {
            at: format!("line {} column {}", err.line(), err.column()),
            message: "the JSON is nested more than 128 levels deep, which no export does".to_owned(),
        },
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => TransferError::Syntax(text),
        serde_json::error::Category::Data => TransferError::Invalid {
            at: "the file".to_owned(),
            message: text,
        },
    }
}

/// `value` as `T`, with the path of a wrong or missing field in the error.
pub fn typed<T: DeserializeOwned>(value: Value, at: &str) -> Result<T, TransferError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        TransferError::Invalid {
            at: if path == "." {
                at.to_owned()
            } else {
                format!("{at}, field {path}")
            },
            message: err.into_inner().to_string(),
        }
    })
}

struct State<'s> {
    format: Option<ImportFormat>,
    sink: &'s Sender<Parsed>,
    /// Why reading stopped, when it was not serde_json's own error.
    failure: Option<TransferError>,
    count: usize,
}

impl State<'_> {
    /// Stops the parse with `err` as the reason.
    fn stop<E: de::Error>(&mut self, err: TransferError) -> E {
        self.failure = Some(err);
        E::custom("stopped")
    }

    fn take(&mut self, value: Value) -> Result<(), TransferError> {
        let index = self.count;
        self.count += 1;
        let title: String = value
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        let at = if title.is_empty() {
            format!("conversation {index}")
        } else {
            format!("conversation {index} ({title:?})")
        };
        if !value.is_object() {
            return Err(TransferError::Invalid {
                at,
                message: "expected an object".to_owned(),
            });
        }
        let format = match self.format {
            Some(format) => format,
            None => {
                let found = detect(&value).ok_or_else(|| {
                    TransferError::UnknownFormat(format!(
                        "{at} is neither a ChatGPT conversation (it has no `mapping`) nor an Open WebUI chat (no `chat`)"
                    ))
                })?;
                *self.format.insert(found)
            }
        };
        let (source_key, draft) = match format {
            ImportFormat::LlmChat => {
                let conversation: ArchivedConversation = typed(value, &at)?;
                check_text(&at, "the id", &conversation.id, 400)?;
                (format!("llm-chat:{}", conversation.id), conversation.into_draft(&at)?)
            }
            ImportFormat::ChatGpt => {
                let key = source_key("chatgpt", chatgpt::source_id(&value), &value, &at)?;
                (key, chatgpt::convert(value, &at)?)
            }
            ImportFormat::OpenWebUi => {
                let key = source_key("open-webui", open_webui::source_id(&value), &value, &at)?;
                (key, open_webui::convert(value, &at)?)
            }
        };
        let mut draft = draft.validated(&at)?;
        let foreign = format != ImportFormat::LlmChat;
        if foreign {
            draft.settle_current_on_leaf();
        }
        let title = draft.title.clone();
        let draft = if foreign && draft.messages.is_empty() {
            Err("it has no messages that can be imported (only system, tool or image messages, or none)".to_owned())
        } else {
            Ok(draft)
        };
        let parsed = Parsed {
            index,
            title,
            source_key,
            draft,
        };
        // The writer stopped (a database error); its error is the one reported.
        self.sink
            .blocking_send(parsed)
            .map_err(|_| TransferError::WriterStopped)
    }
}

/// Which foreign export an element belongs to, by its telltale field.
fn detect(value: &Value) -> Option<ImportFormat> {
    if value.get("mapping").is_some() {
        Some(ImportFormat::ChatGpt)
    } else if value.get("chat").is_some_and(Value::is_object) {
        Some(ImportFormat::OpenWebUi)
    } else {
        None
    }
}

/// `format:<id>`, or a hash of the conversation when the source gave no id
/// (so that importing the same file twice still finds it).
fn source_key(format: &str, id: Option<String>, value: &Value, at: &str) -> Result<String, TransferError> {
    match id {
        Some(id) => {
            check_text(at, "the id", &id, 400)?;
            Ok(format!("{format}:{id}"))
        }
        None => {
            let bytes = serde_json::to_vec(value).unwrap_or_default();
            let digest = Sha256::digest(&bytes);
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            Ok(format!("{format}:sha256:{hex}"))
        }
    }
}

/// The array of conversations, read one element at a time.
struct Elements<'a, 's>(&'a mut State<'s>);

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of conversations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            if let Err(err) = self.0.take(value) {
                return Err(self.0.stop(err));
            }
        }
        Ok(())
    }
}

/// An llm-chat archive: `format` and `version` must be right, wherever they
/// stand (the exports write them first).
struct ArchiveDocument<'a, 's>(&'a mut State<'s>);

impl<'de> Visitor<'de> for ArchiveDocument<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an llm-chat archive")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let not_ours = |detail: &str| {
            TransferError::UnknownFormat(format!(
                "this JSON object is not an llm-chat archive: {detail} (ChatGPT and Open WebUI exports are JSON arrays)"
            ))
        };
        let (mut checked, mut read) = (false, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let format = map.next_value::<Value>()?;
                    if format.as_str() != Some(FORMAT) {
                        return Err(self
                            .0
                            .stop(not_ours(&format!("its format is {format}, not \"{FORMAT}\""))));
                    }
                    checked = true;
                }
                "version" => {
                    let version = map.next_value::<Value>()?;
                    if version.as_u64() != Some(VERSION) {
                        return Err(self.0.stop(TransferError::Invalid {
                            at: "version".to_owned(),
                            message: format!(
                                "this server reads archives of version {VERSION}, not {version}; import it into the release that wrote it"
                            ),
                        }));
                    }
                }
                // Read as they come, even before `format` (a tool may have
                // sorted the keys): without it at the end, the import fails
                // and what was written is rolled back.
                "conversations" => {
                    map.next_value_seed(Elements(&mut *self.0))?;
                    read = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !checked || !read {
            return Err(self.0.stop(not_ours("it needs `format` and `conversations`")));
        }
        Ok(())
    }
}
