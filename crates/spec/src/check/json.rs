//! YAML values as JSON: inline schemas, `default:` and `map:` values.

use serde_json::{Map, Number, Value as Json};
use yaml_serde::Value as Yaml;

/// `value` as JSON. Number and boolean mapping keys become their text.
///
/// # Errors
/// What cannot be JSON: a YAML tag (`!x`), `.nan` or `.inf`, a null or
/// collection used as a mapping key.
pub(crate) fn to_json(value: &Yaml) -> Result<Json, String> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Json::Number(
                    Number::from_f64(f).ok_or_else(|| format!("`{n}` is not a JSON number"))?,
                )
            }
        }
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Yaml::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(key_text(k)?, to_json(v)?);
            }
            Json::Object(out)
        }
        Yaml::Tagged(t) => return Err(format!("YAML tags such as `{}` are not JSON", t.tag)),
    })
}

/// A mapping key as JSON object key text.
fn key_text(key: &Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Null | Yaml::Sequence(_) | Yaml::Mapping(_) | Yaml::Tagged(_) => {
            Err("a mapping key must be a string".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn yaml(text: &str) -> Yaml {
        yaml_serde::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn converts() {
        let v =
            yaml("{ type: object, 200: { x: [1, -2, 2.5, true, null, 18446744073709551615] } }");
        assert_eq!(
            to_json(&v),
            Ok(
                json!({"type": "object", "200": {"x": [1, -2, 2.5, true, null, 18446744073709551615u64]}})
            )
        );
        assert!(to_json(&yaml(".nan")).is_err());
        assert!(to_json(&yaml("!thing x")).is_err());
        assert!(to_json(&yaml("{ [a]: 1 }")).is_err());
    }
}
