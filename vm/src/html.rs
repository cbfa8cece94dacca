//! HTML markup: tag functions, `element`, `raw-html`, `render-html`
//! (LANGUAGE.md "HTML").
//!
//! An element keeps its attributes in argument order and its children as given
//! (strings, numbers, elements, lists of children, nil and booleans which render
//! as nothing). Rendering adds no whitespace, escapes `& < > " '` in text and
//! attribute values, renders void elements without a closing tag, a `true`
//! attribute bare, and leaves out `false`/`nil` attributes.

use crate::ctx::Ctx;
use crate::error::type_err;
use crate::prims::{def, str_arg, PrimDef, PrimResult};
use crate::print::write_display;
use crate::value::{Element, Value};
use std::rc::Rc;

/// `element`, `raw-html`, `render-html`.
pub const DEFS: &[PrimDef] = &[
    def("element", 1, -1, false, element),
    def("raw-html", 1, 1, false, raw_html),
    def("render-html", 1, 1, true, render_html),
];

/// Elements rendered without a closing tag (children are ignored).
pub const VOID_ELEMENTS: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];

/// Appends `s` with `& < > " '` escaped as `&amp; &lt; &gt; &quot; &#39;`.
pub fn escape_into(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Builds an element: keyword arguments (`:name value`) are attributes in order,
/// a trailing keyword with no value is a `true` attribute; the rest are children.
pub fn make_element(tag: &str, args: &[Value]) -> Value {
    let mut attrs = Vec::new();
    let mut children = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match &args[i] {
            Value::Keyword(k) => {
                let v = args.get(i + 1).cloned().unwrap_or(Value::Bool(true));
                attrs.push((k.name().to_string(), v));
                i += 2;
            }
            other => {
                children.push(other.clone());
                i += 1;
            }
        }
    }
    Value::Element(Rc::new(Element { tag: tag.to_string(), attrs, children }))
}

/// Trusted raw HTML: an element with the empty tag and the text as its one child.
pub fn raw(text: &str) -> Value {
    Value::Element(Rc::new(Element { tag: String::new(), attrs: Vec::new(), children: vec![Value::str(text)] }))
}

/// Appends the HTML of `v` (an element, text, number, list of children; nil and
/// booleans render as nothing).
pub fn render_into(v: &Value, out: &mut String) {
    render_at(v, out, 0)
}

/// The HTML string of `v`.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    render_into(v, &mut out);
    out
}

fn render_at(v: &Value, out: &mut String, depth: usize) {
    if depth > 2_000 {
        return;
    }
    match v {
        Value::Nil | Value::Bool(_) => {}
        Value::Str(s) => escape_into(&s.s, out),
        Value::List(l) => l.with_items(|xs| xs.iter().for_each(|x| render_at(x, out, depth + 1))),
        Value::Element(e) if e.tag.is_empty() => {
            for c in &e.children {
                if let Value::Str(s) = c {
                    out.push_str(&s.s);
                }
            }
        }
        Value::Element(e) => {
            out.push('<');
            out.push_str(&e.tag);
            for (name, val) in &e.attrs {
                match val {
                    Value::Nil | Value::Bool(false) => {}
                    Value::Bool(true) => {
                        out.push(' ');
                        out.push_str(name);
                    }
                    other => {
                        out.push(' ');
                        out.push_str(name);
                        out.push_str("=\"");
                        if let Value::Str(s) = other {
                            escape_into(&s.s, out);
                        } else {
                            let mut text = String::new();
                            write_display(other, &mut text);
                            escape_into(&text, out);
                        }
                        out.push('"');
                    }
                }
            }
            out.push('>');
            if VOID_ELEMENTS.contains(&e.tag.as_str()) {
                return;
            }
            for c in &e.children {
                render_at(c, out, depth + 1);
            }
            out.push_str("</");
            out.push_str(&e.tag);
            out.push('>');
        }
        other => {
            let mut text = String::new();
            write_display(other, &mut text);
            escape_into(&text, out);
        }
    }
}

fn element(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let tag = match &a[0] {
        Value::Str(s) => s.s.to_string(),
        Value::Symbol(s) | Value::Keyword(s) => s.name().to_string(),
        other => return Err(type_err("element", "string", other)),
    };
    Ok(make_element(&tag, &a[1..]))
}

fn raw_html(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(raw(str_arg("raw-html", &a[0])?))
}

fn render_html(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::string(render(&a[0])))
}

macro_rules! tags {
    ($($f:ident => $name:literal,)*) => {
        $(fn $f(_: &mut Ctx, a: &[Value]) -> PrimResult { Ok(make_element($name, a)) })*
        /// One primitive per standard HTML tag (tags that are also library
        /// function names, such as `map`, are left out).
        pub const TAG_DEFS: &[PrimDef] = &[$(def($name, 0, -1, false, $f),)*];
    };
}

tags! {
    html_tag => "html",
    head_tag => "head",
    body_tag => "body",
    title_tag => "title",
    meta_tag => "meta",
    link_tag => "link",
    style_tag => "style",
    script_tag => "script",
    noscript_tag => "noscript",
    template_tag => "template",
    base_tag => "base",
    div_tag => "div",
    span_tag => "span",
    p_tag => "p",
    a_tag => "a",
    h1_tag => "h1",
    h2_tag => "h2",
    h3_tag => "h3",
    h4_tag => "h4",
    h5_tag => "h5",
    h6_tag => "h6",
    ul_tag => "ul",
    ol_tag => "ol",
    li_tag => "li",
    dl_tag => "dl",
    dt_tag => "dt",
    dd_tag => "dd",
    nav_tag => "nav",
    header_tag => "header",
    footer_tag => "footer",
    main_tag => "main",
    section_tag => "section",
    article_tag => "article",
    aside_tag => "aside",
    hgroup_tag => "hgroup",
    address_tag => "address",
    form_tag => "form",
    input_tag => "input",
    button_tag => "button",
    label_tag => "label",
    textarea_tag => "textarea",
    select_tag => "select",
    option_tag => "option",
    optgroup_tag => "optgroup",
    fieldset_tag => "fieldset",
    legend_tag => "legend",
    datalist_tag => "datalist",
    output_tag => "output",
    progress_tag => "progress",
    meter_tag => "meter",
    table_tag => "table",
    caption_tag => "caption",
    thead_tag => "thead",
    tbody_tag => "tbody",
    tfoot_tag => "tfoot",
    tr_tag => "tr",
    th_tag => "th",
    td_tag => "td",
    colgroup_tag => "colgroup",
    col_tag => "col",
    img_tag => "img",
    picture_tag => "picture",
    source_tag => "source",
    video_tag => "video",
    audio_tag => "audio",
    track_tag => "track",
    canvas_tag => "canvas",
    svg_tag => "svg",
    iframe_tag => "iframe",
    embed_tag => "embed",
    object_tag => "object",
    param_tag => "param",
    br_tag => "br",
    hr_tag => "hr",
    wbr_tag => "wbr",
    em_tag => "em",
    strong_tag => "strong",
    code_tag => "code",
    pre_tag => "pre",
    small_tag => "small",
    blockquote_tag => "blockquote",
    figure_tag => "figure",
    figcaption_tag => "figcaption",
    time_tag => "time",
    b_tag => "b",
    i_tag => "i",
    u_tag => "u",
    s_tag => "s",
    q_tag => "q",
    sub_tag => "sub",
    sup_tag => "sup",
    mark_tag => "mark",
    abbr_tag => "abbr",
    cite_tag => "cite",
    dfn_tag => "dfn",
    kbd_tag => "kbd",
    samp_tag => "samp",
    var_tag => "var",
    del_tag => "del",
    ins_tag => "ins",
    bdi_tag => "bdi",
    bdo_tag => "bdo",
    ruby_tag => "ruby",
    rt_tag => "rt",
    rp_tag => "rp",
    data_tag => "data",
    details_tag => "details",
    summary_tag => "summary",
    dialog_tag => "dialog",
    menu_tag => "menu",
    area_tag => "area",
    slot_tag => "slot",
}

#[cfg(test)]
mod tests {
    use crate::prims::testutil::*;
    use crate::prims::call_named;
    use crate::value::Value;

    fn kw(x: &str) -> Value {
        Value::kw(x)
    }

    fn html(v: Value) -> String {
        super::render(&v)
    }

    fn el(tag: &str, args: Vec<Value>) -> Value {
        call_named(&mut ctx(), tag, &args).unwrap()
    }

    #[test]
    fn rendering() {
        let post = el("div", vec![kw("class"), s("post"), el("h1", vec![s("Title")]), el("p", vec![s("a < b & c")])]);
        assert_eq!(html(post.clone()), "<div class=\"post\"><h1>Title</h1><p>a &lt; b &amp; c</p></div>");
        assert_eq!(crate::print::repr(&post), "#<element div>");
        assert_eq!(html(el("br", vec![])), "<br>");
        assert_eq!(html(el("img", vec![kw("src"), s("a.png"), kw("alt"), s("\"q\" 'x'")])), "<img src=\"a.png\" alt=\"&quot;q&quot; &#39;x&#39;\">");
        assert_eq!(
            html(el("input", vec![kw("type"), s("checkbox"), kw("checked"), Value::Bool(true), kw("disabled"), Value::Bool(false), kw("x"), Value::Nil])),
            "<input type=\"checkbox\" checked>"
        );
        assert_eq!(html(el("button", vec![kw("disabled")])), "<button disabled></button>");
        assert_eq!(
            html(el("ul", vec![l(vec![el("li", vec![i(1)]), el("li", vec![f(2.5)])]), Value::Nil, Value::Bool(true), Value::Bool(false)])),
            "<ul><li>1</li><li>2.5</li></ul>"
        );
        assert_eq!(html(el("span", vec![kw("data-n"), i(3), s("x")])), "<span data-n=\"3\">x</span>");
        let raw = call_named(&mut ctx(), "raw-html", &[s("<b>hi</b>")]).unwrap();
        assert_eq!(html(el("div", vec![raw.clone()])), "<div><b>hi</b></div>");
        assert_eq!(html(raw), "<b>hi</b>");
        let custom = call_named(&mut ctx(), "element", &[s("map"), kw("name"), s("m"), s("x")]).unwrap();
        assert_eq!(html(custom), "<map name=\"m\">x</map>");
        assert_eq!(run("render-html", &[s("<&>")]), "\"&lt;&amp;&gt;\"");
        assert_eq!(run("render-html", &[l(vec![el("hr", vec![]), s("t")])]), "\"<hr>t\"");
        assert_eq!(html(el("p", vec![el("em", vec![s("a")]), s(" b "), el("strong", vec![s("c")])])), "<p><em>a</em> b <strong>c</strong></p>");
    }

    #[test]
    fn tags_registered() {
        for t in ["html", "div", "a", "p", "h1", "h6", "table", "td", "img", "br", "time", "figcaption"] {
            assert!(crate::prims::lookup(t).is_some(), "{t}");
        }
        assert!(crate::prims::lookup("map").is_none());
    }
}
