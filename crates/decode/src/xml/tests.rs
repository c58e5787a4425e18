use holdfast_spec::XmlOptions;
use serde_json::{Value, json};

use super::{Elements, document};
use crate::error::{DecodeError, ErrorKind};

fn options(records: Option<&str>, arrays: &[&str]) -> XmlOptions {
    XmlOptions {
        records: records.map(|r| r.split('/').map(str::to_owned).collect()),
        arrays: arrays.iter().map(|a| (*a).to_owned()).collect(),
    }
}

fn whole(xml: &str) -> Value {
    document(&options(None, &[]), xml.as_bytes()).expect("decodes")
}

fn records(xml: &str, path: &str, arrays: &[&str]) -> Result<Vec<Value>, DecodeError> {
    Elements::new(&options(Some(path), arrays), xml.as_bytes()).collect()
}

fn failure(xml: &str, path: Option<&str>) -> DecodeError {
    let result: Result<Vec<Value>, DecodeError> =
        Elements::new(&options(path, &[]), xml.as_bytes()).collect();
    result.expect_err("fails")
}

#[test]
fn plain_elements_are_strings_and_the_root_is_a_key() {
    assert_eq!(
        whole("<Customer><Id>7</Id><Name>Ann</Name></Customer>"),
        json!({ "Customer": { "Id": "7", "Name": "Ann" } })
    );
}

#[test]
fn attributes_are_at_keys_and_text_beside_them_is_hash_text() {
    assert_eq!(
        whole(r#"<Price currency="EUR" net='true'>12.50</Price>"#),
        json!({ "Price": { "@currency": "EUR", "@net": "true", "#text": "12.50" } })
    );
    assert_eq!(
        whole(r#"<Phone type="home"/>"#),
        json!({ "Phone": { "@type": "home" } })
    );
}

#[test]
fn mixed_content_keeps_its_text_trimmed_and_whitespace_between_children_is_not_text() {
    assert_eq!(
        whole("<Note>\n  Call back <b>today</b>\n</Note>"),
        json!({ "Note": { "#text": "Call back", "b": "today" } })
    );
    assert_eq!(
        whole("<A>\n  <B>1</B>\n  <C> two </C>\n</A>"),
        json!({ "A": { "B": "1", "C": " two " } })
    );
}

#[test]
fn repeated_elements_are_arrays_in_order_and_arrays_forces_one() {
    let xml = "<C><Phone>1</Phone><Name>Ann</Name><Phone>2</Phone><Phone>3</Phone></C>";
    assert_eq!(
        whole(xml),
        json!({ "C": { "Phone": ["1", "2", "3"], "Name": "Ann" } })
    );
    let one = "<C><Phone>1</Phone><Name>Ann</Name></C>";
    assert_eq!(
        document(&options(None, &["Phone"]), one.as_bytes()).expect("decodes"),
        json!({ "C": { "Phone": ["1"], "Name": "Ann" } })
    );
}

#[test]
fn empty_elements_are_empty_strings_and_xsi_nil_is_null() {
    let xml = r#"<C xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Middle/><Last></Last><Fax xsi:nil="true"/></C>"#;
    assert_eq!(
        whole(xml),
        json!({ "C": { "Middle": "", "Last": "", "Fax": null } })
    );
}

#[test]
fn namespace_prefixes_are_dropped_and_declarations_are_not_attributes() {
    let xml = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:x">
      <soap:Body><m:Ok xmlns:m="urn:m" m:id="4">yes</m:Ok></soap:Body>
    </soap:Envelope>"#;
    assert_eq!(
        whole(xml),
        json!({ "Envelope": { "Body": { "Ok": { "@id": "4", "#text": "yes" } } } })
    );
}

#[test]
fn entities_character_references_and_cdata_are_text() {
    assert_eq!(
        whole("<T>a &amp; b &lt;c&gt; &#233;&#x41; <![CDATA[<raw> & ]]></T>"),
        json!({ "T": "a & b <c> éA <raw> & " })
    );
    assert_eq!(
        whole("<?xml version=\"1.0\"?><!-- hi --><T a=\"x&quot;y\"><?pi x?></T>"),
        json!({ "T": { "@a": "x\"y" } })
    );
}

#[test]
fn an_element_path_yields_each_element_and_ignores_the_rest() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <ListResponse total="2">
      <Item id="1"><Name>Ann</Name></Item>
      <Other>skipped</Other>
      <Item id="2"><Name>Bo</Name><Tag>a</Tag><Tag>b</Tag></Item>
    </ListResponse>
  </s:Body>
</s:Envelope>"#;
    assert_eq!(
        records(xml, "Envelope/Body/ListResponse/Item", &["Tag"]).expect("decodes"),
        [
            json!({ "@id": "1", "Name": "Ann" }),
            json!({ "@id": "2", "Name": "Bo", "Tag": ["a", "b"] }),
        ]
    );
}

#[test]
fn an_element_path_whose_parent_has_no_records_yields_none() {
    let xml = "<Envelope><Body><ListResponse total=\"0\"/></Body></Envelope>";
    assert_eq!(
        records(xml, "Envelope/Body/ListResponse/Item", &[]).expect("decodes"),
        Vec::<Value>::new()
    );
}

#[test]
fn a_path_that_matches_nothing_is_an_error() {
    let xml = "<Envelope>\n<Body><Listing/></Body></Envelope>";
    let e = records(xml, "Envelope/Body/ListResponse/Item", &[]).expect_err("no parent");
    assert_eq!(e.kind, ErrorKind::Shape);
    assert_eq!(
        e.to_string(),
        "line 2: no element `Envelope/Body/ListResponse` in the document (its root is \
         `Envelope`): the records path `Envelope/Body/ListResponse/Item` matches nothing; \
         check its spelling (local names, no prefixes)"
    );
    let e = records("<Root/>", "Envelope/Body/Item", &[]).expect_err("other root");
    assert_eq!(
        e.to_string(),
        "line 1: the document's root element is `Root`, but the records path \
         `Envelope/Body/Item` starts at `Envelope`"
    );
}

#[test]
fn a_record_of_only_text_is_an_error() {
    let e = records("<L>\n<Item>x</Item></L>", "L/Item", &[]).expect_err("text");
    assert_eq!(
        e.to_string(),
        "line 2: the record element `<Item>` holds only text (a string); a record needs \
         child elements or attributes: point `records:` at the element around it"
    );
}

#[test]
fn a_soap_fault_is_an_error_quoting_its_string() {
    let fault11 = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <soap:Fault>
      <faultcode>soap:Server</faultcode>
      <faultstring>Invalid session id</faultstring>
    </soap:Fault>
  </soap:Body>
</soap:Envelope>"#;
    let e = records(fault11, "Envelope/Body/ListResponse/Item", &[]).expect_err("fault");
    assert_eq!(e.kind, ErrorKind::SoapFault);
    assert_eq!(
        e.to_string(),
        "line 3: the SOAP answer is a Fault: \"Invalid session id\" (fault code soap:Server); \
         nothing of it is used"
    );
    let whole = document(&options(None, &[]), fault11.as_bytes()).expect_err("fault");
    assert_eq!(whole.kind, ErrorKind::SoapFault);
    let fault12 = r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">
 <env:Body><env:Fault>
   <env:Code><env:Value>env:Sender</env:Value></env:Code>
   <env:Reason><env:Text xml:lang="en">Bad customer id</env:Text></env:Reason>
 </env:Fault></env:Body></env:Envelope>"#;
    assert_eq!(
        document(&options(None, &[]), fault12.as_bytes())
            .expect_err("fault")
            .message,
        "the SOAP answer is a Fault: \"Bad customer id\" (fault code env:Sender); nothing of \
         it is used"
    );
}

#[test]
fn a_cut_off_document_is_an_error_never_a_short_list() {
    let xml = "<L>\n<Item a=\"1\"/>\n<Item a=\"2\"><Name>B";
    let e = failure(xml, Some("L/Item"));
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert_eq!(
        e.to_string(),
        "line 3: the XML ends inside `<Name>`: the body or file was cut off; nothing of it is used"
    );
    let e = failure("<L><Item a=\"1\"/>", Some("L/Item"));
    assert_eq!(e.kind, ErrorKind::Truncated);
}

#[test]
fn ill_formed_xml_and_unknown_entities_are_errors_with_their_line() {
    let e = failure("<L>\n<A></B></L>", None);
    assert_eq!(e.kind, ErrorKind::Malformed);
    assert!(
        e.to_string().starts_with("line 2: not well-formed XML: "),
        "{e}"
    );
    let e = failure("<L>\n\n<A>&nbsp;</A></L>", None);
    assert_eq!(
        e.to_string(),
        "line 3: unknown entity `&nbsp;`: XML defines only &amp; &lt; &gt; &quot; &apos; \
         and character references like &#233;"
    );
    let e = document(&options(None, &[]), &b"  "[..]).expect_err("empty");
    assert_eq!(e.to_string(), "line 1: the body holds no XML element");
    let e = document(&options(None, &[]), &b"<A/><B/>"[..]).expect_err("two roots");
    assert!(e.to_string().contains("a second root element `<B>`"), "{e}");
}

#[test]
fn the_page_document_makes_the_record_element_an_array() {
    let xml = "<Envelope><Body><R><Item><Id>1</Id></Item><Next>abc</Next></R></Body></Envelope>";
    let value =
        document(&options(Some("Envelope/Body/R/Item"), &[]), xml.as_bytes()).expect("decodes");
    assert_eq!(
        value,
        json!({ "Envelope": { "Body": { "R": { "Item": [{ "Id": "1" }], "Next": "abc" } } } })
    );
}

#[test]
fn the_page_document_of_an_empty_result_has_no_records_and_a_missing_parent_stays_missing() {
    let path = Some("Envelope/Body/R/Item");
    for (xml, expected) in [
        (
            "<Envelope><Body><R/></Body></Envelope>",
            json!({ "Envelope": { "Body": { "R": { "Item": [] } } } }),
        ),
        (
            "<Envelope><Body><R>\n  </R></Body></Envelope>",
            json!({ "Envelope": { "Body": { "R": { "Item": [] } } } }),
        ),
        (
            "<Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><Body><R xsi:nil=\"true\"/></Body></Envelope>",
            json!({ "Envelope": { "Body": { "R": { "Item": [] } } } }),
        ),
        (
            "<Envelope><Body><R total=\"0\"><Next/></R></Body></Envelope>",
            json!({ "Envelope": { "Body": { "R": { "@total": "0", "Next": "", "Item": [] } } } }),
        ),
        (
            "<Envelope><Body><Other/></Body></Envelope>",
            json!({ "Envelope": { "Body": { "Other": "" } } }),
        ),
    ] {
        let value = document(&options(path, &[]), xml.as_bytes()).expect("decodes");
        assert_eq!(value, expected, "{xml}");
    }
}
