//! Query-string parameters as typed, and the error that names a bad one.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub parameter: &'static str,
    pub message: String,
}

pub(crate) fn bad(parameter: &'static str, message: impl Into<String>) -> ParamError {
    ParamError { parameter, message: message.into() }
}

pub(crate) fn slug<T>(
    raw: &RawParams,
    key: &'static str,
    from: fn(&str) -> Option<T>,
    all: &[&str],
) -> Result<Option<T>, ParamError> {
    match raw.get(key) {
        None => Ok(None),
        Some(v) => from(v).map(Some).ok_or_else(|| {
            bad(key, format!("valeur inconnue « {} » ; valeurs possibles : {}", clip(v), all.join(", ")))
        }),
    }
}

pub(crate) fn number<T: std::str::FromStr>(
    raw: &RawParams,
    key: &'static str,
    what: &str,
) -> Result<Option<T>, ParamError> {
    match raw.get(key) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| bad(key, format!("« {} » n'est pas {what}", clip(v)))),
    }
}

pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s.to_string() }
}

/// The query text `q`: at most `max` characters, no control character.
pub(crate) fn query_text(raw: &RawParams, max: usize) -> Result<String, ParamError> {
    let q = raw.get("q").unwrap_or("").to_string();
    let n = q.chars().count();
    if n > max {
        return Err(bad("q", format!("la recherche est trop longue ({n} caractères, {max} au plus)")));
    }
    if q.chars().any(|c| c.is_control()) {
        return Err(bad("q", "la recherche contient des caractères de contrôle"));
    }
    Ok(q)
}

/// `page` (1 to `max_page`) and `per_page` (1 to `max_per_page`).
pub(crate) fn paging(
    raw: &RawParams,
    max_page: usize,
    default_per_page: usize,
    max_per_page: usize,
) -> Result<(usize, usize), ParamError> {
    let page: usize = number(raw, "page", "un numéro de page")?.unwrap_or(1);
    if !(1..=max_page).contains(&page) {
        return Err(bad("page", format!("la page doit être comprise entre 1 et {max_page}")));
    }
    let per_page: usize = number(raw, "per_page", "un nombre de résultats")?.unwrap_or(default_per_page);
    if !(1..=max_per_page).contains(&per_page) {
        return Err(bad(
            "per_page",
            format!("le nombre de résultats par page doit être compris entre 1 et {max_per_page}"),
        ));
    }
    Ok((page, per_page))
}

/// The parameters as typed, for echoing back into forms and links.
#[derive(Debug, Clone, Default)]
pub struct RawParams {
    pub pairs: Vec<(String, String)>,
}

impl RawParams {
    /// Decodes a query string. Invalid UTF-8 is replaced, not refused: a
    /// mangled character in a query should still find something.
    pub fn from_query(query: Option<&str>) -> Self {
        let pairs = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
            .unwrap_or_default();
        RawParams { pairs }
    }

    /// The last non-empty value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim())
    }

    /// A link to the results with `key` set to `value` (or removed), page reset.
    pub fn with(&self, key: &str, value: Option<&str>) -> String {
        self.with_at("/recherche", key, value)
    }

    /// A link to `path` with these parameters, `key` set to `value` (or
    /// removed), page reset.
    pub fn with_at(&self, path: &str, key: &str, value: Option<&str>) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k != key && k != "page" && k != "live" && !v.trim().is_empty() {
                ser.append_pair(k, v);
            }
        }
        if let Some(v) = value {
            ser.append_pair(key, v);
        }
        format!("{path}?{}", ser.finish())
    }

    /// A link to another page of the same results at `path`.
    pub fn page_at(&self, path: &str, page: usize) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k != "page" && k != "live" && !v.trim().is_empty() {
                ser.append_pair(k, v);
            }
        }
        if page > 1 {
            ser.append_pair("page", &page.to_string());
        }
        format!("{path}?{}", ser.finish())
    }
}
