//! Messages for people, in the reader's language: one catalogue (`seeds/messages.toml`) with a
//! Chinese and an English text per key, and [`Lang`], the language a request or a terminal
//! asks for. Stable codes (`invalid_risk`, row reasons, task stages) never go through here:
//! they stay the same in every language.
//!
//! Code builds a [`Message`] with [`msg!`] (a key and named arguments) and renders it late, once
//! the reader's language is known; `Display` renders English, for logs. Pure: no web framework,
//! no database.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

const CATALOGUE_TOML: &str = include_str!("../../seeds/messages.toml");

/// A language messages are rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The language an `Accept-Language` header prefers: the one of Chinese and English with
    /// the higher weight (`q`), the range listed first on a tie, `*` standing for a language no
    /// other range names. English without a header or when neither is acceptable, so API
    /// clients that send nothing keep getting what they always got.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        // (weight, position) of the best range naming each language, and of `*`.
        let (mut zh, mut en, mut any) = (None, None, None);
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let Some(weight) = weight(parts) else {
                continue;
            };
            let slot = match range.split('-').next().unwrap_or("") {
                "zh" => &mut zh,
                "en" => &mut en,
                "*" => &mut any,
                _ => continue,
            };
            if slot.is_none_or(|(best, _)| weight > best) {
                *slot = Some((weight, position));
            }
        }
        let zh = zh.or(any).filter(|(weight, _)| *weight > 0.0);
        let en = en.or(any).filter(|(weight, _)| *weight > 0.0);
        match (zh, en) {
            (Some((zh_weight, zh_position)), Some((en_weight, en_position)))
                if zh_weight > en_weight
                    || (zh_weight == en_weight && zh_position < en_position) =>
            {
                Lang::Zh
            }
            (Some(_), None) => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// The language of the command line's locale (`LC_ALL`, else `LC_MESSAGES`, else `LANG`):
    /// Chinese for `zh…`, English otherwise.
    pub fn from_locale() -> Lang {
        Self::from_locale_variables(|name| std::env::var(name).ok())
    }

    fn from_locale_variables(variable: impl Fn(&str) -> Option<String>) -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|name| variable(name).filter(|value| !value.is_empty()));
        match locale {
            Some(locale) if locale.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }
}

/// The `q` parameter of one `Accept-Language` item (1 when absent); `None` when malformed,
/// so the item is ignored.
fn weight<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<f32> {
    let mut weight = 1.0;
    for parameter in parameters.map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            weight = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    Some(weight)
}

/// A message for people: a catalogue key and the values of its `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// The value of a placeholder: text as is, or a message rendered in the same language (a
/// word such as "keyword" / "关键词").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Message(Message),
}

/// What may fill a placeholder.
pub trait IntoArg {
    fn into_arg(self) -> Arg;
}

impl IntoArg for Message {
    fn into_arg(self) -> Arg {
        Arg::Message(self)
    }
}

macro_rules! text_args {
    ($($type:ty),*) => {
        $(impl IntoArg for $type {
            fn into_arg(self) -> Arg {
                Arg::Text(self.to_string())
            }
        })*
    };
}
text_args!(String, &str, &String, i32, i64, u64, usize, f64);

impl Message {
    /// A message of catalogue entry `key`; build it with [`msg!`], whose literal keys the
    /// catalogue test checks.
    #[doc(hidden)]
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    /// Fills placeholder `{name}` with `value`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl IntoArg) -> Self {
        self.args.push((name, value.into_arg()));
        self
    }

    /// The catalogue key: stable, for code that tells messages apart.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The text in `lang`. A key missing from the catalogue (a bug the tests catch) renders
    /// as the key and its arguments, so nothing is lost.
    pub fn render(&self, lang: Lang) -> String {
        let value = |name: &str| {
            self.args
                .iter()
                .find(|(arg, _)| *arg == name)
                .map(|(_, value)| match value {
                    Arg::Text(text) => text.clone(),
                    Arg::Message(message) => message.render(lang),
                })
        };
        match catalogue().get(self.key) {
            Some(texts) => fill(texts.get(lang), value),
            None => {
                let args: Vec<String> = self
                    .args
                    .iter()
                    .filter_map(|(name, _)| Some(format!("{name}={}", value(name)?)))
                    .collect();
                format!("{}({})", self.key, args.join(", "))
            }
        }
    }
}

/// English, for logs and `Display` of errors.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// A [`Message`] of catalogue key `$key` with named arguments:
/// `msg!("unknown_risk", code = raw)`.
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::messages::Message::new($key)$(.with(stringify!($name), $value))*
    };
}
pub(crate) use msg;

/// One catalogue entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Texts {
    en: String,
    zh: String,
}

impl Texts {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The catalogue, parsed on first use. It is compiled in and checked by the tests; were it
/// unreadable all the same, messages would render as their keys rather than fail a response.
fn catalogue() -> &'static HashMap<String, Texts> {
    static CATALOGUE: OnceLock<HashMap<String, Texts>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        toml::from_str(CATALOGUE_TOML).unwrap_or_else(|error| {
            tracing::error!(%error, "seeds/messages.toml does not parse");
            HashMap::new()
        })
    })
}

/// `template` with each `{name}` replaced by `value(name)`; other braces stay as they are.
fn fill(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after
            .find('}')
            .map(|end| &after[..end])
            .filter(|name| is_placeholder(name))
            .and_then(|name| Some((name.len(), value(name)?)))
        {
            Some((length, text)) => {
                filled.push_str(&text);
                rest = &after[length + 1..];
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
}

fn is_placeholder(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// The `{placeholders}` of a template.
    fn placeholders(template: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        fill(template, |name| {
            names.insert(name.to_owned());
            Some(String::new())
        });
        names
    }

    /// Every `msg!` call in the crate's sources: (file, key, argument names).
    fn calls() -> Vec<(String, String, BTreeSet<String>)> {
        // Spelled apart so this line is not a call itself.
        let needle = concat!("msg", "!(");
        let mut calls = Vec::new();
        for file in crate::layering::sources("") {
            let source = std::fs::read_to_string(&file).expect("readable source");
            for (start, _) in source.match_indices(needle) {
                let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
                if source[line_start..start].contains("//") {
                    continue;
                }
                let arguments = top_level_arguments(&source[start + needle.len()..]);
                let (key, rest) = arguments.split_first().expect("a key");
                let key = key.trim().trim_matches('"').to_owned();
                let names = rest
                    .iter()
                    .map(|argument| {
                        let (name, _) = argument.split_once('=').expect("`name = value`");
                        name.trim().to_owned()
                    })
                    .collect();
                calls.push((file.display().to_string(), key, names));
            }
        }
        calls
    }

    /// The comma-separated arguments of a call, from just after its `(` to its `)`.
    fn top_level_arguments(text: &str) -> Vec<String> {
        let (mut arguments, mut current, mut depth) = (Vec::new(), String::new(), 0);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    current.push(c);
                    while let Some(inner) = chars.next() {
                        current.push(inner);
                        match inner {
                            '\\' => current.extend(chars.next()),
                            '"' => break,
                            _ => {}
                        }
                    }
                    continue;
                }
                '\'' if chars.peek() == Some(&'\\') => {
                    // An escaped character literal such as '\n' or '\''.
                    current.push(c);
                    current.extend(chars.next());
                    current.extend(chars.next());
                    for inner in chars.by_ref() {
                        current.push(inner);
                        if inner == '\'' {
                            break;
                        }
                    }
                    continue;
                }
                '\'' => {
                    // A character literal such as ',' or '+'.
                    current.push(c);
                    current.extend(chars.next());
                    current.extend(chars.next());
                    continue;
                }
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => break,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    arguments.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        arguments.push(current);
        arguments.retain(|argument| !argument.trim().is_empty());
        arguments
    }

    #[test]
    fn every_entry_has_both_languages_with_the_same_placeholders() {
        let parsed: BTreeMap<String, Texts> =
            toml::from_str(CATALOGUE_TOML).expect("seeds/messages.toml parses");
        assert_eq!(parsed.len(), catalogue().len());
        for (key, texts) in &parsed {
            assert!(
                !texts.en.trim().is_empty() && !texts.zh.trim().is_empty(),
                "{key}"
            );
            assert_eq!(placeholders(&texts.en), placeholders(&texts.zh), "{key}");
        }
    }

    #[test]
    fn every_call_names_an_entry_and_fills_its_placeholders() {
        let calls = calls();
        assert!(
            calls.len() > 100,
            "the source scan found {} calls",
            calls.len()
        );
        for (file, key, names) in &calls {
            let texts = catalogue()
                .get(key)
                .unwrap_or_else(|| panic!("{file}: `{key}` is not in seeds/messages.toml"));
            assert_eq!(
                &placeholders(&texts.en),
                names,
                "{file}: arguments of `{key}`"
            );
        }
        let used: BTreeSet<&str> = calls.iter().map(|(_, key, _)| key.as_str()).collect();
        let unused: Vec<&String> = catalogue()
            .keys()
            .filter(|key| !used.contains(key.as_str()))
            .collect();
        assert!(unused.is_empty(), "entries no code uses: {unused:?}");
    }

    #[test]
    fn the_source_scan_splits_arguments_as_rust_does() {
        let arguments = top_level_arguments(
            r#""key", a = f(x, y), b = ',', c = "a, \"b\"", d = '\'', e = [1, 2]) + 1"#,
        );
        let names: Vec<&str> = arguments
            .iter()
            .map(|argument| argument.split('=').next().unwrap_or("").trim())
            .collect();
        assert_eq!(names, ["\"key\"", "a", "b", "c", "d", "e"]);
    }

    #[test]
    fn messages_render_in_either_language_with_nested_words() {
        let message = msg!(
            "unknown_value",
            what = msg!("noun_status"),
            value = "Approved",
            expected = "draft, approved"
        );
        assert_eq!(
            message.render(Lang::En),
            "unknown status `Approved`; expected one of draft, approved"
        );
        assert!(message.render(Lang::Zh).contains("状态"), "{message}");
        assert_eq!(message.to_string(), message.render(Lang::En));
    }

    #[test]
    fn filling_leaves_unknown_placeholders_and_stray_braces() {
        let value = |name: &str| (name == "a").then(|| "1".to_owned());
        assert_eq!(fill("{a} {b} {} {A} {a", value), "1 {b} {} {A} {a");
        assert_eq!(fill("{a}{a}", value), "11");
    }

    #[test]
    fn accept_language_picks_the_preferred_of_chinese_and_english() {
        let lang = |header| Lang::from_accept_language(Some(header));
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(lang("zh-CN,zh;q=0.9"), Lang::Zh);
        assert_eq!(lang("zh"), Lang::Zh);
        assert_eq!(lang("zh-TW"), Lang::Zh);
        assert_eq!(lang("ZH-hant-tw"), Lang::Zh);
        assert_eq!(lang("en"), Lang::En);
        assert_eq!(lang("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En);
        assert_eq!(lang("en;q=0.5, zh;q=0.8"), Lang::Zh);
        assert_eq!(lang("fr-FR, zh;q=0.3"), Lang::Zh);
        assert_eq!(lang("fr-FR"), Lang::En);
        assert_eq!(lang("zh;q=0"), Lang::En);
        assert_eq!(lang("zh, en"), Lang::Zh);
        assert_eq!(lang("en, zh"), Lang::En);
    }

    #[test]
    fn accept_language_wildcards_stand_for_unnamed_languages() {
        let lang = |header| Lang::from_accept_language(Some(header));
        assert_eq!(lang("*"), Lang::En);
        assert_eq!(lang("zh, *;q=0.5"), Lang::Zh);
        assert_eq!(lang("en;q=0.1, *"), Lang::Zh);
        assert_eq!(lang("*;q=0.5, zh;q=0.1"), Lang::En);
        assert_eq!(lang("en;q=0, *"), Lang::Zh);
    }

    #[test]
    fn malformed_accept_language_falls_back_to_english() {
        let lang = |header| Lang::from_accept_language(Some(header));
        for garbage in [
            "",
            ",,,",
            "zh;q=abc",
            "zh;q=2",
            "zh;q",
            "中文",
            ";;;q=1",
            "x-klingon",
        ] {
            assert_eq!(lang(garbage), Lang::En, "{garbage:?}");
        }
        assert_eq!(lang("zh;q=oops, zh-CN;q=0.4"), Lang::Zh);
        assert_eq!(lang("zh-CN;;"), Lang::Zh);
    }

    #[test]
    fn the_locale_chooses_the_command_lines_language() {
        let with = |pairs: &'static [(&str, &str)]| {
            Lang::from_locale_variables(|name| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            })
        };
        assert_eq!(with(&[]), Lang::En);
        assert_eq!(with(&[("LANG", "zh_CN.UTF-8")]), Lang::Zh);
        assert_eq!(with(&[("LANG", "zh_TW.UTF-8")]), Lang::Zh);
        assert_eq!(with(&[("LANG", "C.UTF-8")]), Lang::En);
        assert_eq!(
            with(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "zh_CN.UTF-8")]),
            Lang::En
        );
        assert_eq!(
            with(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_CN"), ("LANG", "C")]),
            Lang::Zh
        );
    }
}
