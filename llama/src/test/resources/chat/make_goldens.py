"""Renders chat-template goldens the way Hugging Face's apply_chat_template does.

HF (transformers/utils/chat_template_utils.py) compiles templates in an ImmutableSandboxedEnvironment with
trim_blocks=True, lstrip_blocks=True and the loopcontrols extension, adds a tojson filter that is
json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys), and the globals
raise_exception and strftime_now. This script reproduces that environment with plain jinja2 (no transformers
here) and writes goldens.json: [{template, name, messages, tools, add_generation_prompt, extra, expected}].

Run from this folder: python3 make_goldens.py /path/to/shared
"""
import json
import sys
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../../../../../../shared")


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    # Fixed "now" so the goldens are reproducible; the Java test passes the same instant.
    import datetime
    return datetime.datetime(2026, 11, 23, 12, 0, 0).strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

templates = {
    "tokenizer_config": json.loads((shared / "llama3.1-tokenizer/tokenizer_config.json").read_text())["chat_template"],
    "llama-3.1-instruct": (shared / "benchmarks/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja").read_text(),
    "llama-3.2-instruct": (shared / "benchmarks/chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja").read_text(),
}

weather = {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City, e.g. Zürich"},
                          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}
call = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_weather",
        "arguments": {"city": "Zürich", "unit": "celsius"}}}]}
search_call = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "brave_search",
               "arguments": {"query": "Llama 3.1 release date"}}}]}

cases = [
    ("user-only", [{"role": "user", "content": "What is 2 + 3?"}], None, True, {}),
    ("system-user-assistant", [{"role": "system", "content": "  You are terse.  "},
                               {"role": "user", "content": "Hi!\n"},
                               {"role": "assistant", "content": "Hello. How can I help?"}], None, False, {}),
    ("multi-turn", [{"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "7"},
                    {"role": "user", "content": "Another, ünïcödé 日本?"}, {"role": "assistant", "content": " 11 "}],
     None, True, {}),
    ("date-string", [{"role": "user", "content": "Today?"}], None, True, {"date_string": "01 Jan 2025"}),
    ("tools-in-user", [{"role": "system", "content": "Use tools when needed."},
                       {"role": "user", "content": "Weather in Zürich?"}], [weather], True, {}),
    ("tools-in-system", [{"role": "user", "content": "Weather in Zürich?"}], [weather], True,
     {"tools_in_user_message": False}),
    ("tool-call-and-result", [{"role": "user", "content": "Weather in Zürich?"}, call,
                              {"role": "tool", "content": "{\"temperature\": 21, \"unit\": \"celsius\"}"},
                              {"role": "assistant", "content": "It is 21 °C."}], [weather], False, {}),
    ("ipython-mapping-result", [{"role": "user", "content": "Weather?"}, call,
                                {"role": "ipython", "content": {"temperature": 21}}], [weather], True, {}),
    ("builtin-tools", [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Search it."},
                       search_call, {"role": "ipython", "content": "Released July 23, 2024."}], None, True,
     {"builtin_tools": ["brave_search", "wolfram_alpha", "code_interpreter"]}),
    ("special-text-in-content", [{"role": "user", "content": "Say <|eot_id|> literally"}], None, True, {}),
]

out = []
for tname, source in templates.items():
    template = env.from_string(source)
    for name, messages, tools, agp, extra in cases:
        if tname == "tokenizer_config" and (tools or "tool_calls" in json.dumps(messages) or extra):
            continue  # the base template knows nothing of tools
        if tname == "llama-3.2-instruct" and "builtin_tools" in extra:
            continue  # 3.2 has no builtin tools
        kwargs = dict(messages=messages, tools=tools, add_generation_prompt=agp, bos_token="<|begin_of_text|>",
                      eos_token="<|eot_id|>", **extra)
        if tools is None:
            kwargs.pop("tools")
        text = template.render(**kwargs)
        out.append({"template": tname, "name": name, "messages": messages, "tools": tools,
                    "add_generation_prompt": agp, "extra": extra, "expected": text})

Path("goldens.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
print(len(out), "goldens")
