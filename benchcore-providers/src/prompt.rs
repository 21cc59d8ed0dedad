//! An agent's own system prompt, placed before the conversation it is sent.

use benchcore::{Message, Role};
use std::borrow::Cow;

/// The messages to send: `system` first when the agent has one, then the request's own
/// messages (a case's system messages follow the agent's, so both reach the model).
pub(crate) fn with_system_prompt<'a>(
    system: Option<&str>,
    messages: &'a [Message],
) -> Cow<'a, [Message]> {
    match system {
        Some(prompt) if !prompt.trim().is_empty() => {
            let mut all = Vec::with_capacity(messages.len() + 1);
            all.push(Message::new(Role::System, prompt));
            all.extend_from_slice(messages);
            Cow::Owned(all)
        }
        _ => Cow::Borrowed(messages),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_prompt_comes_first() {
        let messages = [Message::system("case rules"), Message::user("hi")];
        let sent = with_system_prompt(Some("be terse"), &messages);
        assert_eq!(sent[0], Message::system("be terse"));
        assert_eq!(sent[1..], messages);
        assert!(matches!(
            with_system_prompt(None, &messages),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            with_system_prompt(Some(" "), &messages),
            Cow::Borrowed(_)
        ));
    }
}
