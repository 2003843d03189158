//! The page language: Chinese first, English on request. Every string a page
//! shows is looked up by key in one catalogue per language
//! (`i18n/zh.json`, `i18n/en.json`, embedded); messages that come from the
//! services (`Msg { zh, en }`) are picked by the same language.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header;

use crate::error::Msg;

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "gridsafe_lang";

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

fn parse_catalogue(text: &str) -> HashMap<String, String> {
    serde_json::from_str(text).expect("the embedded catalogue is a flat JSON object of strings")
}

static ZH: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse_catalogue(include_str!("i18n/zh.json")));
static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse_catalogue(include_str!("i18n/en.json")));

impl Lang {
    /// `zh` or `en`, as in URLs and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    /// The `lang` attribute of `<html>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// `zh` / `en` to a language.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "zh" | "zh-CN" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The language a request asks for: `?lang=` first, then the cookie, else Chinese.
    pub fn of_request(headers: &HeaderMap, query: Option<&str>) -> Self {
        let from_query =
            query.and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang=")).and_then(Self::parse));
        from_query.or_else(|| cookie(headers, LANG_COOKIE).as_deref().and_then(Self::parse)).unwrap_or_default()
    }

    /// The catalogue string for `key`. A missing key shows the key itself
    /// (a test keeps every key a page uses in both catalogues).
    pub fn t(self, key: &str) -> &'static str {
        let catalogue: &'static HashMap<String, String> = match self {
            Self::Zh => &ZH,
            Self::En => &EN,
        };
        catalogue.get(key).map_or_else(
            || {
                tracing::warn!(key, lang = self.code(), "missing catalogue string");
                // Leaked once per missing key and process: a visible, bounded bug.
                Box::leak(key.to_owned().into_boxed_str()) as &'static str
            },
            String::as_str,
        )
    }

    /// A catalogue string with `{name}` placeholders filled.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A service message in this language.
    pub fn msg(self, msg: &Msg) -> String {
        match self {
            Self::Zh => msg.zh.clone(),
            Self::En => msg.en.clone(),
        }
    }
}

impl Lang {
    /// The strings scripts need (keys `js.*`), as JSON safe inside
    /// `<script type="application/json">`.
    pub fn script_strings(self) -> String {
        let catalogue: &HashMap<String, String> = match self {
            Self::Zh => &ZH,
            Self::En => &EN,
        };
        let strings: std::collections::BTreeMap<&str, &str> =
            catalogue.iter().filter_map(|(k, v)| k.strip_prefix("js.").map(|short| (short, v.as_str()))).collect();
        serde_json::to_string(&strings).expect("strings serialise").replace('<', "\\u003c")
    }
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
        cookies
            .split(';')
            .find_map(|c| c.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')).map(str::to_owned))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let mut zh: Vec<&String> = ZH.keys().collect();
        let mut en: Vec<&String> = EN.keys().collect();
        zh.sort();
        en.sort();
        let only_zh: Vec<_> = zh.iter().filter(|k| !EN.contains_key(k.as_str())).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !ZH.contains_key(k.as_str())).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "only zh: {only_zh:?}; only en: {only_en:?}");
    }

    #[test]
    fn every_key_a_page_uses_is_in_the_catalogue() {
        let sources = [
            include_str!("pages/mod.rs"),
            include_str!("pages/layout.rs"),
            include_str!("pages/login.rs"),
            include_str!("pages/home.rs"),
            include_str!("pages/cases.rs"),
            include_str!("pages/report.rs"),
            include_str!("pages/me.rs"),
            include_str!("pages/map.rs"),
            include_str!("pages/verify.rs"),
            include_str!("pages/dashboard.rs"),
            include_str!("pages/queue.rs"),
            include_str!("pages/enterprises.rs"),
            include_str!("pages/people.rs"),
            include_str!("pages/coverage.rs"),
            include_str!("pages/categories.rs"),
            include_str!("pages/fields.rs"),
            include_str!("pages/patrols.rs"),
            include_str!("pages/rivers.rs"),
            include_str!("pages/compliance.rs"),
            include_str!("pages/documents.rs"),
            include_str!("pages/settings.rs"),
        ];
        let mut missing = Vec::new();
        for source in sources {
            for pattern in [".t(\"", ".tf(\""] {
                for piece in source.split(pattern).skip(1) {
                    let key = &piece[..piece.find('"').expect("a closing quote")];
                    if !ZH.contains_key(key) {
                        missing.push(key.to_owned());
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from the catalogue: {missing:?}");
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of_request(&headers, None), Lang::Zh);
        headers.insert(header::COOKIE, "a=1; gridsafe_lang=en".parse().expect("a header"));
        assert_eq!(Lang::of_request(&headers, None), Lang::En);
        assert_eq!(Lang::of_request(&headers, Some("x=1&lang=zh")), Lang::Zh);
        assert_eq!(Lang::Zh.tf("home.overdue_days", &[("n", "3")]), "超期 3 天");
    }
}
