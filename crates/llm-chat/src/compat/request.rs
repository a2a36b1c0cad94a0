//! Reading an OpenAI chat-completions request: the fields we check, and the
//! common parameters passed to the upstream as they are.

use super::CompatError;
use serde_json::{Map, Value};

/// Fields forwarded to the model server unchanged when present.
const PASSED_THROUGH: &[&str] = &[
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "reasoning_effort",
];

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    /// Our model id (from `/v1/models`).
    pub model: String,
    pub stream: bool,
    /// Whether the caller asked for the final usage chunk of a stream.
    pub include_usage: bool,
    /// The body for the upstream, without `model` and `stream`.
    pub body: Value,
}

fn invalid(param: &'static str, message: impl Into<String>) -> CompatError {
    CompatError::Invalid {
        param,
        message: message.into(),
    }
}

pub fn parse(value: Value) -> Result<CompletionRequest, CompatError> {
    let Value::Object(fields) = value else {
        return Err(invalid("body", "the body must be a JSON object"));
    };
    let model = match fields.get("model") {
        Some(Value::String(model)) if !model.trim().is_empty() => model.trim().to_owned(),
        _ => {
            return Err(invalid(
                "model",
                "`model` is required: one of the ids listed by GET /v1/models",
            ));
        }
    };
    let messages_ok = fields
        .get("messages")
        .and_then(Value::as_array)
        .is_some_and(|messages| !messages.is_empty() && messages.iter().all(|m| m["role"].is_string()));
    if !messages_ok {
        return Err(invalid(
            "messages",
            "`messages` must be a non-empty array of objects, each with a `role`",
        ));
    }
    let stream = match fields.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(_) => return Err(invalid("stream", "`stream` must be true or false")),
    };
    match fields.get("n") {
        None | Some(Value::Null) => {}
        Some(n) if n.as_u64() == Some(1) => {}
        Some(_) => return Err(invalid("n", "only n=1 is supported; send one request per completion")),
    }
    let include_usage = fields
        .get("stream_options")
        .and_then(|options| options.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body: Map<String, Value> = fields
        .into_iter()
        .filter(|(key, _)| PASSED_THROUGH.contains(&key.as_str()))
        .collect();
    Ok(CompletionRequest {
        model,
        stream,
        include_usage,
        body: Value::Object(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn common_parameters_pass_and_others_are_dropped() {
        let request = parse(json!({
            "model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": true,
            "stream_options": {"include_usage": true}, "temperature": 0.2, "seed": 7,
            "tools": [], "api_base": "http://elsewhere"
        }))
        .unwrap();
        assert!(request.stream && request.include_usage);
        assert_eq!(request.body["seed"], 7);
        assert_eq!(request.body["temperature"], 0.2);
        assert!(request.body.get("api_base").is_none());
        assert!(request.body.get("stream").is_none());
    }

    #[test]
    fn bad_requests_name_the_parameter() {
        let bad = |value: Value| match parse(value) {
            Err(CompatError::Invalid { param, .. }) => param,
            other => panic!("{other:?}"),
        };
        assert_eq!(bad(json!({"messages": [{"role": "user"}]})), "model");
        assert_eq!(bad(json!({"model": "m", "messages": []})), "messages");
        assert_eq!(bad(json!({"model": "m", "messages": [{"role": "user"}], "n": 2})), "n");
        assert_eq!(bad(json!([1])), "body");
    }
}
