//! A JSON object received from a server (token response, introspection, userinfo, discovery): every
//! member readable by name, the body kept as received, and all strings zeroed when dropped, since
//! tokens and personal data travel in them.

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

pub struct Claims {
    raw: Zeroizing<String>,
    members: Map<String, Value>,
}

impl Claims {
    /// Parses a body that must be a JSON object.
    pub fn parse(raw: Zeroizing<String>) -> Result<Claims> {
        match serde_json::from_str::<Value>(&raw) {
            Ok(Value::Object(members)) => Ok(Claims { raw, members }),
            _ => Err(Error::malformed_response("the response is not a JSON object")),
        }
    }

    /// A body and its already-parsed members.
    pub(crate) fn from_parts(raw: Zeroizing<String>, members: Map<String, Value>) -> Claims {
        Claims { raw, members }
    }

    /// Any member by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// A member that is a string.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.members.get(name).and_then(Value::as_str)
    }

    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// The body exactly as received.
    pub fn raw_json(&self) -> &str {
        &self.raw
    }

    /// For an introspection answer (RFC 7662): whether `active` is `true`. Anything else, including a
    /// missing member, counts as inactive.
    pub fn is_active(&self) -> bool {
        self.members.get("active") == Some(&Value::Bool(true))
    }
}

impl Drop for Claims {
    fn drop(&mut self) {
        self.members.values_mut().for_each(wipe);
    }
}

fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(members) => members.values_mut().for_each(wipe),
        _ => {}
    }
}

impl fmt::Debug for Claims {
    // Names only: values may be tokens or personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims").field("members", &self.members.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_activity() {
        let c = Claims::parse(Zeroizing::new(r#"{"active":true,"sub":"42","n":1}"#.into())).unwrap();
        assert!(c.is_active());
        assert_eq!(c.string("sub"), Some("42"));
        assert_eq!(c.string("n"), None);
        assert_eq!(c.get("n"), Some(&Value::from(1)));
        let inactive = Claims::parse(Zeroizing::new(r#"{"active":"true"}"#.into())).unwrap();
        assert!(!inactive.is_active(), "only the boolean true means active");
        assert!(Claims::parse(Zeroizing::new("[1]".into())).is_err());
    }

    #[test]
    fn debug_shows_names_not_values() {
        let c = Claims::parse(Zeroizing::new(r#"{"email":"joe@example.com"}"#.into())).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("email") && !shown.contains("joe@"), "{shown}");
    }
}
