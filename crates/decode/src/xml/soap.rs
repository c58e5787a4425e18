//! SOAP Faults: a 200 answer that says the call failed.

use serde_json::Value;

/// True for a `Fault` element directly in a SOAP `Envelope/Body`
/// (`outer` are the local names of the open elements around it).
pub(super) fn is_fault(outer: &[String], name: &str) -> bool {
    name == "Fault" && outer.len() == 2 && outer[0] == "Envelope" && outer[1] == "Body"
}

/// The `Fault` of a converted SOAP document, if it is one.
pub(super) fn find_fault(document: &Value) -> Option<&Value> {
    document.get("Envelope")?.get("Body")?.get("Fault")
}

/// What a converted `Fault` says: SOAP 1.1 `faultcode`/`faultstring`, or
/// SOAP 1.2 `Code/Value` and `Reason/Text`.
pub(super) fn fault_message(fault: &Value) -> String {
    let reason = fault
        .get("faultstring")
        .or_else(|| fault.get("Reason").and_then(|r| r.get("Text")))
        .and_then(text);
    let code = fault
        .get("faultcode")
        .or_else(|| fault.get("Code").and_then(|c| c.get("Value")))
        .and_then(text);
    let detail = match (reason, code) {
        (Some(reason), Some(code)) => format!("\"{reason}\" (fault code {code})"),
        (Some(reason), None) => format!("\"{reason}\""),
        (None, Some(code)) => format!("fault code {code}, no fault string"),
        (None, None) => "no fault code or string".to_owned(),
    };
    format!("the SOAP answer is a Fault: {detail}; nothing of it is used")
}

/// An element's text: a string, `#text` of an object, or the first of a list.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => o.get("#text").and_then(text),
        Value::Array(items) => items.first().and_then(text),
        _ => None,
    }
}
