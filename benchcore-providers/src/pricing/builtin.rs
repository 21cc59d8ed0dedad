//! The built-in price table: list prices as each provider published them.

/// List prices in US dollars per million tokens: (model id, input, output). Check your
/// provider; they change.
pub(super) const BUILTIN: &[(&str, f64, f64)] = &[
    // OpenAI (platform.openai.com/pricing).
    ("gpt-5", 1.25, 10.0),
    ("gpt-5-mini", 0.25, 2.0),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.0),
    ("gpt-4o-2024-05-13", 5.0, 15.0),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4-turbo", 10.0, 30.0),
    ("gpt-4", 30.0, 60.0),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("o1", 15.0, 60.0),
    ("o1-mini", 1.10, 4.40),
    ("o3", 2.0, 8.0),
    ("o3-mini", 1.10, 4.40),
    ("o3-pro", 20.0, 80.0),
    ("o4-mini", 1.10, 4.40),
    // Anthropic (anthropic.com/pricing); dated ids and `-latest` match by prefix.
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.80, 4.0),
    ("claude-3-opus", 15.0, 75.0),
    ("claude-3-haiku", 0.25, 1.25),
    // Google Gemini (ai.google.dev/pricing), prompts up to 200k tokens.
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.0-flash", 0.10, 0.40),
    // Llama on Groq (groq.com/pricing).
    ("llama-3.1-8b-instant", 0.05, 0.08),
    ("llama-3.3-70b-versatile", 0.59, 0.79),
    // Llama on Together AI (together.ai/pricing).
    ("meta-llama/meta-llama-3.1-8b-instruct-turbo", 0.18, 0.18),
    ("meta-llama/meta-llama-3.1-70b-instruct-turbo", 0.88, 0.88),
    ("meta-llama/meta-llama-3.1-405b-instruct-turbo", 3.50, 3.50),
    ("meta-llama/llama-3.3-70b-instruct-turbo", 0.88, 0.88),
];

/// Speech-to-speech models' list prices in US dollars per million tokens: (model id, text
/// input, cached input, text output, audio input, audio output). Check your provider.
pub(super) const BUILTIN_VOICE: &[(&str, f64, f64, f64, f64, f64)] = &[
    // OpenAI Realtime (platform.openai.com/pricing).
    ("gpt-realtime", 4.0, 0.40, 16.0, 32.0, 64.0),
    ("gpt-realtime-mini", 0.60, 0.06, 2.40, 10.0, 20.0),
    ("gpt-4o-realtime-preview", 5.0, 2.50, 20.0, 40.0, 80.0),
    ("gpt-4o-mini-realtime-preview", 0.60, 0.30, 2.40, 10.0, 20.0),
];
