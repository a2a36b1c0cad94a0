"""Uses llm-chat through the official OpenAI Python SDK, as a program would.

Run by the Rust test `openai_sdk::the_official_python_sdk_works_with_a_key`,
which starts llm-chat with the fake model server and passes:
  LLMCHAT_BASE_URL  e.g. http://127.0.0.1:1234/v1
  LLMCHAT_API_KEY   a key created for the test user
Exits non-zero with a message on the first thing that does not work.
"""

import os
import sys

import openai

base_url = os.environ["LLMCHAT_BASE_URL"]
api_key = os.environ["LLMCHAT_API_KEY"]
# No retries: a failure must show at once, not after the SDK's back-off.
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")


models = [m.id for m in client.models.list()]
check("mock-model" in models, f"models.list has mock-model: {models}")

whole = client.chat.completions.create(
    model="mock-model",
    messages=[{"role": "user", "content": "[[mock tokens=3]] 你好"}],
    temperature=0.2,
)
check(whole.choices[0].message.content == "w0 w1 w2 ", f"whole answer: {whole}")
check(whole.usage is not None and whole.usage.completion_tokens == 3, f"whole usage: {whole.usage}")

text = ""
usage = None
for chunk in client.chat.completions.create(
    model="mock-model",
    messages=[{"role": "user", "content": "[[mock tokens=4]] hi"}],
    stream=True,
    stream_options={"include_usage": True},
):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage is not None:
        usage = chunk.usage
check(text == "w0 w1 w2 w3 ", f"streamed text: {text!r}")
check(usage is not None and usage.completion_tokens == 4, f"streamed usage: {usage}")

try:
    openai.OpenAI(base_url=base_url, api_key="sk-llmchat-wrong", max_retries=0).models.list()
    check(False, "a bad key was accepted")
except openai.AuthenticationError as err:
    check(err.code == "invalid_api_key", f"bad key code: {err.code}")

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    check(False, "an unknown model was accepted")
except openai.NotFoundError as err:
    check(err.code == "model_not_found", f"unknown model code: {err.code}")

try:
    client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "[[mock fault=500]] hi"}]
    )
    check(False, "an upstream fault was not reported")
except openai.InternalServerError as err:
    check(err.status_code == 502, f"upstream fault status: {err.status_code}")
    check(err.code == "upstream_error", f"upstream fault code: {err.code}")

print(f"openai {openai.__version__}: all checks passed")
