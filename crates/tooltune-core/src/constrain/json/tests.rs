use super::*;
use serde_json::json;

fn read(text: &str, schema: &Value) -> Read {
    value(text.as_bytes(), 0, schema)
}

#[test]
fn strings_follow_enums_and_lengths() {
    let reason = json!({"type": "string", "enum": ["damaged", "late"]});
    assert_eq!(read(r#""dam"#, &reason), Ok(Step::More));
    assert_eq!(read(r#""damaged""#, &reason), Ok(Step::At(9)));
    assert_eq!(read(r#""broken"#, &reason), Err(Dead));
    assert_eq!(read(r#""damage""#, &reason), Err(Dead));
    let short = json!({"type": "string", "maxLength": 3});
    assert_eq!(read(r#""abc""#, &short), Ok(Step::At(5)));
    assert_eq!(read(r#""abcd"#, &short), Err(Dead));
    assert_eq!(read(r#""a\"é""#, &short), Ok(Step::At(7)));
    // A backslash only where an escaped character can come.
    let reason = json!({"type": "string", "enum": ["da\"x"]});
    assert_eq!(read(r#""da\"#, &reason), Ok(Step::More));
    assert_eq!(read(r#""d\"#, &reason), Err(Dead));
    // No `\u` escape: half written, its character can't be judged.
    assert_eq!(read(r#""a\u00"#, &short), Err(Dead));
    assert_eq!(read("\"a\nb\"", &short), Err(Dead));
}

#[test]
fn integers_keep_only_prefixes_that_fit_the_bounds() {
    let weeks = json!({"type": "integer", "minimum": 1, "maximum": 4});
    assert_eq!(read("3", &weeks), Ok(Step::More));
    assert_eq!(read("3,", &weeks), Ok(Step::At(1)));
    assert_eq!(read("6", &weeks), Err(Dead));
    assert_eq!(read("0", &weeks), Err(Dead));
    assert_eq!(read("-", &weeks), Err(Dead));
    assert_eq!(read("3.5,", &weeks), Err(Dead));
    let pax = json!({"type": "integer", "minimum": 10, "maximum": 12});
    assert_eq!(read("1", &pax), Ok(Step::More));
    assert_eq!(read("2", &pax), Err(Dead));
    assert_eq!(read("13", &pax), Err(Dead));
    assert_eq!(read("01", &json!({"type": "integer"})), Err(Dead));
    let temp = json!({"type": "integer", "minimum": -20});
    assert_eq!(read("-19}", &temp), Ok(Step::At(3)));
    // Numbers: a fraction and an exponent need their digits.
    let amount = json!({"type": "number"});
    assert_eq!(read("4.75,", &amount), Ok(Step::At(4)));
    assert_eq!(read("4.", &amount), Ok(Step::More));
    assert_eq!(read("4.,", &amount), Err(Dead));
    assert_eq!(read("1e-3}", &amount), Ok(Step::At(4)));
    assert_eq!(read("1e+", &amount), Ok(Step::More));
    assert_eq!(read("1e}", &amount), Err(Dead));
    assert_eq!(read("-21", &temp), Err(Dead));
    let price = json!({"type": "number", "exclusiveMinimum": 0});
    assert_eq!(read("0.5}", &price), Ok(Step::At(3)));
    assert_eq!(read("0}", &price), Err(Dead));
    assert_eq!(read("1e", &price), Ok(Step::More));
    assert_eq!(read("1e}", &price), Err(Dead));
}

#[test]
fn objects_take_known_keys_once_and_need_the_required_ones() {
    let args = json!({
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": false
    });
    assert_eq!(read(r#"{"ord"#, &args), Ok(Step::More));
    assert_eq!(read(r#"{"order_id": "A1"}"#, &args), Ok(Step::At(18)));
    assert_eq!(read(r#"{"x"#, &args), Err(Dead));
    assert_eq!(read(r#"{"reason": "x"}"#, &args), Err(Dead));
    assert_eq!(read(r#"{"order_id": "A", "order_id"#, &args), Err(Dead));
    assert_eq!(read(r#"{"order_id": 5"#, &args), Err(Dead));
    assert_eq!(read(r#"{"order_id": "A",}"#, &args), Err(Dead));
    assert_eq!(read(r#"{"order_id": "A", "#, &args), Ok(Step::More));
    // No key left to come after a comma.
    assert_eq!(
        read(r#"{"order_id": "A", "reason": "x","#, &args),
        Err(Dead)
    );
    let open = json!({"type": "object"});
    assert_eq!(
        read(r#"{"any": [1, {"b": null}], "c": true}"#, &open),
        Ok(Step::At(36))
    );
}

#[test]
fn arrays_count_their_items() {
    let tags = json!({"type": "array", "items": {"type": "string"}, "maxItems": 2});
    assert_eq!(read(r#"["a", "b"]"#, &tags), Ok(Step::At(10)));
    assert_eq!(read(r#"["a", "b", "#, &tags), Err(Dead));
    assert_eq!(read(r#"["a", 1"#, &tags), Err(Dead));
    let some = json!({"type": "array", "minItems": 1});
    assert_eq!(read("[]", &some), Err(Dead));
}

#[test]
fn unions_and_non_string_enums() {
    let either = json!({"type": ["integer", "null"]});
    assert_eq!(read("nu", &either), Ok(Step::More));
    assert_eq!(read("7}", &either), Ok(Step::At(1)));
    assert_eq!(read(r#""7""#, &either), Err(Dead));
    let sizes = json!({"enum": [1, 2, "big"]});
    assert_eq!(read("2,", &sizes), Ok(Step::At(1)));
    assert_eq!(read("3,", &sizes), Err(Dead));
    assert_eq!(read(r#""bi"#, &sizes), Ok(Step::More));
    let any_of = json!({"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["x"]}]});
    assert_eq!(read("true", &any_of), Ok(Step::At(4)));
    assert_eq!(read(r#""y"#, &any_of), Err(Dead));
}
