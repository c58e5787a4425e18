//! A list endpoint's pagination, read off the calls that fetched its pages
//! in order: what each page handed over and the next request sent.

use serde_json::Value;
use url::Url;

use super::capture::Call;
use crate::draft::Paginate;

/// The pagination of an endpoint's calls (in capture order), the query
/// parameters it drives (left out of `params:`), and why.
pub fn detect(pages: &[&Call]) -> (Paginate, Vec<String>, String) {
    let n = pages.len();
    for pair in pages.windows(2) {
        let (this, next) = (pair[0], pair[1]);
        if let Some(link) = this
            .response_header("link")
            .and_then(|l| link_next(l, &this.url))
            && same_url(&link, &next.url)
        {
            return (
                Paginate::LinkHeader,
                Vec::new(),
                format!("each page's Link rel=\"next\" was the next request ({n} pages captured)"),
            );
        }
        let is_next = |s: &str| {
            Url::parse(s).ok().is_some_and(|u| same_url(&u, &next.url))
                || this
                    .url
                    .join(s)
                    .ok()
                    .is_some_and(|u| same_url(&u, &next.url))
        };
        if let Some(path) = this
            .json
            .as_ref()
            .and_then(|json| find_string(json, "$".into(), &is_next))
        {
            return (
                Paginate::NextUrl { next: path.clone() },
                Vec::new(),
                format!(
                    "the next request's URL was {path} of the page before ({n} pages captured)"
                ),
            );
        }
        for (param, value) in changed_params(this, next) {
            let Ok(after) = value.parse::<u64>() else {
                continue;
            };
            let before = this
                .query
                .iter()
                .find(|(k, _)| *k == param)
                .and_then(|(_, v)| v.parse::<u64>().ok());
            let records = this.json.as_ref().map(count_records).unwrap_or(0);
            let limit = size_param(this);
            let page = match before {
                Some(b) if after == b + 1 => {
                    let start = pages[0]
                        .query
                        .iter()
                        .find(|(k, _)| *k == param)
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(1);
                    Some((
                        start,
                        format!("`{param}` went up by one per page ({n} pages captured)"),
                    ))
                }
                None if after == 2 => Some((
                    1,
                    format!(
                        "the first page was sent without `{param}`, the second with {param}=2 ({n} pages captured)"
                    ),
                )),
                _ => None,
            };
            if let Some((start, why)) = page {
                let mut drives = vec![param.clone()];
                if let Some((p, _)) = &limit {
                    drives.push(p.clone());
                }
                let size = limit;
                return (Paginate::Page { param, start, size }, drives, why);
            }
            let step = after.saturating_sub(before.unwrap_or(0));
            if step > 0 && (Some(step) == limit.as_ref().map(|l| l.1) || step == records as u64) {
                let (limit_param, limit) = limit.unwrap_or(("limit".into(), step));
                return (
                    Paginate::Offset {
                        param: param.clone(),
                        limit_param: limit_param.clone(),
                        limit,
                    },
                    vec![param.clone(), limit_param],
                    format!(
                        "`{param}` went up by the page size ({step}) per page ({n} pages captured)"
                    ),
                );
            }
        }
        // A value of the page before, sent by the next request (after the
        // numbers: a page number also appears in bodies as `total_pages`).
        if let Some(json) = &this.json {
            for (param, value) in changed_params(this, next) {
                if let Some(path) = find_string(json, "$".into(), &|s| s == value) {
                    let mut note = format!(
                        "`{param}` in each next request was {path} of the page before ({n} pages captured)"
                    );
                    if let Some(last) = pages.last().and_then(|p| p.json.as_ref()) {
                        match crate::infer::at(last, &path) {
                            None | Some(Value::Null) => note.push_str("; the last page's was empty"),
                            Some(_) => note.push_str(
                                "; the last page captured still had one: the capture stopped before the end",
                            ),
                        }
                    }
                    return (
                        Paginate::Cursor {
                            next: path,
                            param: param.clone(),
                        },
                        vec![param],
                        note,
                    );
                }
            }
        }
    }
    single_page_hint(pages)
}

/// With one page (or nothing that explained the next): what the answer
/// hints at, said as a guess.
fn single_page_hint(pages: &[&Call]) -> (Paginate, Vec<String>, String) {
    let n = pages.len();
    let Some(last) = pages.last() else {
        return (Paginate::None, Vec::new(), "no pages".into());
    };
    if last
        .response_header("link")
        .and_then(|l| link_next(l, &last.url))
        .is_some()
    {
        return (
            Paginate::LinkHeader,
            Vec::new(),
            format!(
                "guessed: the answer had a Link rel=\"next\" but the capture did not follow it ({n} page(s) captured)"
            ),
        );
    }
    if let Some(Value::Object(m)) = &last.json {
        for (k, v) in m {
            let key = k.to_ascii_lowercase().replace(['_', '-'], "");
            if matches!(
                key.as_str(),
                "nextcursor" | "cursor" | "nextpagetoken" | "nexttoken" | "after" | "endcursor"
            ) && (v.is_string() || v.is_null())
            {
                let param = if key == "nextpagetoken" {
                    "page_token"
                } else {
                    "cursor"
                };
                return (
                    Paginate::Cursor {
                        next: format!("$.{k}"),
                        param: param.into(),
                    },
                    vec![param.to_owned()],
                    format!(
                        "guessed from the member `{k}` of a single page: the parameter name `{param}` is not confirmed by the capture, check it"
                    ),
                );
            }
            if matches!(key.as_str(), "next" | "nexturl" | "nextlink" | "nextpage") && v.is_string()
            {
                return (
                    Paginate::NextUrl {
                        next: format!("$.{k}"),
                    },
                    Vec::new(),
                    format!(
                        "guessed from the member `{k}` of a single page: not confirmed by the capture"
                    ),
                );
            }
        }
    }
    let records = last.json.as_ref().map(count_records).unwrap_or(0);
    let full = size_param(last).filter(|(_, size)| *size > 0 && *size == records as u64);
    let mut note = format!("{n} page(s) captured and nothing in them points to a next page");
    if let Some((param, size)) = full {
        note.push_str(&format!(
            "; WARNING: the last page was full ({records} records, `{param}` = {size}): there may be pages the capture did not show, so capture a scroll to the end or set `paginate:` by hand"
        ));
    }
    (Paginate::None, Vec::new(), note)
}

fn changed_params(this: &Call, next: &Call) -> Vec<(String, String)> {
    next.query
        .iter()
        .filter(|(k, v)| !this.query.iter().any(|(k2, v2)| k2 == k && v2 == v))
        .cloned()
        .collect()
}

fn size_param(call: &Call) -> Option<(String, u64)> {
    call.query.iter().find_map(|(k, v)| {
        let key = k.to_ascii_lowercase().replace(['_', '-'], "");
        matches!(
            key.as_str(),
            "limit" | "perpage" | "pagesize" | "size" | "count" | "maxresults" | "top"
        )
        .then(|| v.parse().ok().map(|n| (k.clone(), n)))
        .flatten()
    })
}

fn count_records(json: &Value) -> usize {
    crate::infer::records_at(&[json])
        .map(|r| crate::infer::records_in(json, &r.path).len())
        .unwrap_or(0)
}

fn find_string(json: &Value, path: String, pred: &dyn Fn(&str) -> bool) -> Option<String> {
    match json {
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            let child = format!("{path}{}", super::trace::member(k));
            match v {
                Value::String(s) if pred(s) => Some(child),
                Value::Number(num) if pred(&num.to_string()) => Some(child),
                // Records are not where a next page is announced.
                Value::Array(_) => None,
                _ => find_string(v, child, pred),
            }
        }),
        _ => None,
    }
}

/// The URL of `rel="next"` in a Link header, resolved against `base`.
pub fn link_next(header: &str, base: &Url) -> Option<Url> {
    // The engine's own RFC 8288 parser: what it follows when syncing is
    // what the importer recognises.
    let links = holdfast_records::parse_links(header).ok()?;
    let next = links.iter().find(|l| l.has_rel("next"))?;
    base.join(&next.target).ok()
}

fn same_url(a: &Url, b: &Url) -> bool {
    let mut qa: Vec<_> = a.query_pairs().collect();
    let mut qb: Vec<_> = b.query_pairs().collect();
    qa.sort();
    qb.sort();
    a.origin() == b.origin() && a.path() == b.path() && qa == qb
}
