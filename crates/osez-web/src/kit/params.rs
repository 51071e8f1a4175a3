//! Query-string parameters as typed, and the error that names a bad one.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub parameter: &'static str,
    pub message: String,
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
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k != key && k != "page" && k != "live" && !v.trim().is_empty() {
                ser.append_pair(k, v);
            }
        }
        if let Some(v) = value {
            ser.append_pair(key, v);
        }
        format!("/recherche?{}", ser.finish())
    }

    /// A link to another page of the same results.
    pub fn page(&self, page: usize) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k != "page" && k != "live" && !v.trim().is_empty() {
                ser.append_pair(k, v);
            }
        }
        if page > 1 {
            ser.append_pair("page", &page.to_string());
        }
        format!("/recherche?{}", ser.finish())
    }
}
