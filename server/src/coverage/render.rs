//! Coverage reports as people read them: CSV (UTF-8 with BOM, so Excel shows the Chinese),
//! XLSX, a self-contained HTML page with one SVG bar per group, and a terminal table.

use std::fmt::Write as _;

use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};

use super::evaluate::{CoverageReport, RuleReport};

/// Column titles shared by CSV and XLSX.
const COLUMNS: [&str; 21] = [
    "profile",
    "rule",
    "title",
    "citation",
    "entries",
    "group",
    "name",
    "have",
    "need",
    "gap",
    "ok",
    "collapsed",
    "with_lint_errors",
    "draft",
    "approved",
    "rejected",
    "last_updated",
    "max_age_days",
    "days_overdue",
    "threshold",
    "limit",
];

/// One row per rule group, and one per freshness rule.
fn rows(report: &CoverageReport) -> Vec<[String; 21]> {
    let mut rows = Vec::new();
    for rule in &report.rules {
        let head = |group: String, name: String| {
            [
                report.profile.clone(),
                rule.id.clone(),
                rule.title.clone(),
                rule.citation.clone(),
                rule.entries.to_owned(),
                group,
                name,
            ]
        };
        for group in &rule.groups {
            let [a, b, c, d, e, f, g] =
                head(group.group.clone(), group.name.clone().unwrap_or_default());
            rows.push([
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                group.have.to_string(),
                group.need.to_string(),
                group.gap.to_string(),
                group.ok.to_string(),
                group.collapsed.to_string(),
                group.with_lint_errors.to_string(),
                group.by_status.draft.to_string(),
                group.by_status.approved.to_string(),
                group.by_status.rejected.to_string(),
                String::new(),
                String::new(),
                String::new(),
                rule.threshold.to_owned(),
                rule.limit.to_string(),
            ]);
        }
        if let Some(fresh) = &rule.freshness {
            let [a, b, c, d, e, f, g] = head("freshness".to_owned(), String::new());
            rows.push([
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                String::new(),
                String::new(),
                String::new(),
                fresh.ok.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                fresh
                    .last_updated
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
                fresh.max_age_days.to_string(),
                format!("{:.1}", fresh.days_overdue),
                rule.threshold.to_owned(),
                rule.limit.to_string(),
            ]);
        }
    }
    rows
}

/// The frozen set a report counted, as its headings name it.
fn set_line(report: &CoverageReport) -> Option<String> {
    report.set.as_ref().map(|set| {
        format!(
            "题集 #{} {} 第 {} 版（{} 题）",
            set.id, set.name, set.version, set.member_count
        )
    })
}

/// CSV with a UTF-8 byte-order mark and CRLF line ends, as Excel on Chinese Windows expects.
pub fn csv(report: &CoverageReport) -> Result<Vec<u8>, csv::Error> {
    crate::export::csv_bytes(COLUMNS, rows(report).into_iter())
}

/// An XLSX workbook: a summary sheet and a sheet with every group.
pub fn xlsx(report: &CoverageReport) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let short = Format::new().set_font_color(Color::RGB(0xB0_1C_1C));

    let summary = workbook.add_worksheet().set_name("概览")?;
    summary.write_string_with_format(0, 0, "规则集 profile", &bold)?;
    summary.write_string(
        0,
        1,
        format!("{} — {}", report.profile, report.profile_title),
    )?;
    summary.write_string_with_format(1, 0, "结论 result", &bold)?;
    summary.write_string(
        1,
        1,
        if report.passed {
            "通过 pass"
        } else {
            "未通过 fail"
        },
    )?;
    summary.write_string_with_format(2, 0, "生成时间 generated", &bold)?;
    summary.write_string(2, 1, report.generated_at.to_rfc3339())?;
    if let Some(set) = set_line(report) {
        summary.write_string_with_format(3, 0, "题集 set", &bold)?;
        summary.write_string(3, 1, set)?;
    }
    summary.write_string_with_format(4, 0, "规则 rule", &bold)?;
    summary.write_string_with_format(4, 1, "标题 title", &bold)?;
    summary.write_string_with_format(4, 2, "依据 citation", &bold)?;
    summary.write_string_with_format(4, 3, "结论 result", &bold)?;
    for (row, rule) in (5u32..).zip(&report.rules) {
        summary.write_string(row, 0, &rule.id)?;
        summary.write_string(row, 1, &rule.title)?;
        summary.write_string(row, 2, &rule.citation)?;
        if rule.passed {
            summary.write_string(row, 3, "通过")?;
        } else {
            summary.write_string_with_format(row, 3, "未通过", &short)?;
        }
    }
    summary.autofit();

    let detail = workbook.add_worksheet().set_name("明细")?;
    for (column, title) in (0u16..).zip(COLUMNS) {
        detail.write_string_with_format(0, column, title, &bold)?;
    }
    for (row, values) in (1u32..).zip(rows(report)) {
        for (column, value) in (0u16..).zip(values.iter()) {
            match value.parse::<f64>() {
                Ok(number)
                    if (7..=15).contains(&column)
                        || (17..=18).contains(&column)
                        || column == 20 =>
                {
                    detail.write_number(row, column, number)?;
                }
                _ => {
                    detail.write_string(row, column, value)?;
                }
            }
        }
    }
    detail.autofit();
    workbook.save_to_buffer()
}

/// Escapes text for HTML and SVG.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const ROW_HEIGHT: usize = 24;
const LABEL_WIDTH: usize = 330;
const BAR_WIDTH: usize = 360;
const SHORT_COLOUR: &str = "#c62828";
const OK_COLOUR: &str = "#2e7d32";

/// One SVG chart: a bar per group, `have` against `need` (the grey track ending at the dashed
/// line), red when short.
fn bars(rule: &RuleReport) -> String {
    let groups = &rule.groups;
    // A `max` or `max_share` rule fails by having too many.
    let past = if rule.threshold.starts_with("max") {
        "超出"
    } else {
        "缺"
    };
    let height = groups.len() * ROW_HEIGHT + 8;
    let width = LABEL_WIDTH + BAR_WIDTH + 170;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" font-size="13" font-family="sans-serif">"#
    );
    let need_x = LABEL_WIDTH + BAR_WIDTH * 3 / 4;
    for (index, group) in groups.iter().enumerate() {
        let y = index * ROW_HEIGHT + 4;
        let label = match &group.name {
            Some(name) => format!("{} {}", group.group, name),
            None => group.group.clone(),
        };
        let fraction = if group.need == 0 {
            1.0
        } else {
            group.have as f64 / group.need as f64
        };
        let bar = ((fraction.min(4.0 / 3.0)) * (BAR_WIDTH * 3 / 4) as f64).round() as usize;
        let colour = if group.ok { OK_COLOUR } else { SHORT_COLOUR };
        let verdict = if group.ok {
            format!("{} / {}", group.have, group.need)
        } else {
            format!("{} / {}（{past} {}）", group.have, group.need, group.gap)
        };
        let _ = write!(
            svg,
            r##"<text x="0" y="{ty}">{label}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{track}" height="{bh}" fill="#eeeeee"/><rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{bh}" fill="{colour}"><title>{title}</title></rect><text x="{vx}" y="{ty}" fill="{colour}">{verdict}</text>"##,
            track = BAR_WIDTH * 3 / 4,
            ty = y + 15,
            label = escape(&truncate(&label, 24)),
            bh = ROW_HEIGHT - 6,
            title = escape(&format!("{label}: {verdict}")),
            vx = LABEL_WIDTH + BAR_WIDTH + 8,
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{need_x}" y1="0" x2="{need_x}" y2="{height}" stroke="#555" stroke-dasharray="4 3"/></svg>"##
    );
    svg
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        text.chars().take(max_chars - 1).chain(['…']).collect()
    }
}

fn rule_section(rule: &RuleReport) -> String {
    let badge = if rule.passed {
        r#"<span class="ok">达标</span>"#
    } else {
        r#"<span class="short">未达标</span>"#
    };
    let mut html = format!(
        "<section><h2>{badge} {} {}</h2><p class=\"cite\">{}</p>",
        escape(&rule.id),
        escape(&rule.title),
        escape(&rule.citation)
    );
    if !rule.groups.is_empty() {
        html.push_str(&bars(rule));
        let waiting: u64 = rule.groups.iter().map(|g| g.by_status.draft).sum();
        let collapsed: u64 = rule.groups.iter().map(|g| g.collapsed).sum();
        let linted: u64 = rule.groups.iter().map(|g| g.with_lint_errors).sum();
        let _ = write!(
            html,
            "<p class=\"note\">待审核（草稿）{waiting} 条；近似重复合并 {collapsed} 条；计入的条目中有质量错误 {linted} 条。</p>"
        );
    }
    if let Some(fresh) = &rule.freshness {
        let last = fresh
            .last_updated
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "从未更新".to_owned());
        let class = if fresh.ok { "ok" } else { "short" };
        let _ = write!(
            html,
            "<p class=\"{class}\">最近更新：{last}；要求不超过 {} 天；逾期 {:.1} 天。</p>",
            fresh.max_age_days, fresh.days_overdue
        );
    }
    html.push_str("</section>");
    html
}

/// A published build and its evaluations (id, status), for the page's links.
#[derive(Debug, Clone)]
pub struct BuildLinks {
    pub number: i64,
    pub evaluations: Vec<(i64, String)>,
}

fn build_section(builds: &[BuildLinks]) -> String {
    if builds.is_empty() {
        return String::new();
    }
    let rows: String = builds
        .iter()
        .map(|build| {
            let evaluations: Vec<String> = build
                .evaluations
                .iter()
                .map(|(id, status)| {
                    format!(
                        "<a href=\"/v1/builds/{n}/evaluations/{id}\">评估 {id}</a>（{status}，<a href=\"/v1/builds/{n}/evaluations/{id}?format=xlsx\">XLSX</a>）",
                        n = build.number,
                        status = escape(status)
                    )
                })
                .collect();
            let evaluations = if evaluations.is_empty() {
                "尚未评估".to_owned()
            } else {
                evaluations.join(" · ")
            };
            format!(
                "<li><a href=\"/v1/builds/{n}\">构建 {n}</a>：{evaluations}</li>",
                n = build.number
            )
        })
        .collect();
    format!("<section><h2>构建与评估</h2><ul>{rows}</ul></section>")
}

/// A self-contained HTML page: no script, no external asset.
pub fn html(
    report: &CoverageReport,
    profiles: &[(String, String)],
    builds: &[BuildLinks],
) -> String {
    let verdict = if report.passed {
        r#"<span class="ok">通过</span>"#
    } else {
        r#"<span class="short">未通过</span>"#
    };
    let statuses: Vec<&str> = report.statuses.iter().map(|s| s.as_str()).collect();
    let status_query = statuses.join(",");
    // The downloads count what the page counts: the set's members when it names a set.
    let scope = match &report.set {
        Some(set) => format!("status={status_query}&amp;set={}", set.id),
        None => format!("status={status_query}"),
    };
    let profile_links: String = profiles
        .iter()
        .map(|(id, title)| {
            let current = if *id == report.profile { " class=\"current\"" } else { "" };
            format!(
                "<a{current} href=\"/coverage?profile={id}&amp;status={status_query}\" title=\"{}\">{}</a>",
                escape(title),
                escape(id)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let sections: String =
        report.rules.iter().map(rule_section).collect::<String>() + &build_section(builds);
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>覆盖率 {profile}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; max-width: 920px; }}
.ok {{ color: {OK_COLOUR}; }} .short {{ color: {SHORT_COLOUR}; font-weight: bold; }}
.cite, .note {{ color: #666; font-size: 0.9em; margin: 0.2em 0 0.6em; }}
section {{ border-top: 1px solid #ddd; padding-top: 0.6em; margin-top: 1em; }}
h2 {{ font-size: 1.05em; margin: 0.2em 0; }} a.current {{ font-weight: bold; }}
</style></head><body>
<h1>覆盖率报告 — {title} {verdict}</h1>
<p>规则集：{profile_links}</p>{set}
<p class="note">统计状态：{statuses}；近似重复合并 {collapsed} 条；生成于 {generated}。
下载：<a href="/v1/coverage?profile={profile}&amp;{scope}&amp;format=csv">CSV</a> ·
<a href="/v1/coverage?profile={profile}&amp;{scope}&amp;format=xlsx">XLSX</a> ·
<a href="/v1/coverage?profile={profile}&amp;{scope}">JSON</a></p>
{sections}
</body></html>
"#,
        profile = escape(&report.profile),
        set = set_line(report)
            .map(|line| format!("\n<p>{}</p>", escape(&line)))
            .unwrap_or_default(),
        title = escape(&report.profile_title),
        statuses = escape(&status_query),
        collapsed = report.collapsed_near_duplicates,
        generated = report.generated_at.format("%Y-%m-%d %H:%M UTC"),
    )
}

/// A plain-text table for the terminal.
pub fn table(report: &CoverageReport) -> String {
    let mut out = format!(
        "{} — {}: {}\n",
        report.profile,
        report.profile_title,
        if report.passed { "PASS" } else { "FAIL" }
    );
    if let Some(set) = set_line(report) {
        let _ = writeln!(out, "{set}");
    }
    for rule in &report.rules {
        let _ = writeln!(
            out,
            "\n{} {} [{}] {}",
            if rule.passed { "ok  " } else { "FAIL" },
            rule.id,
            rule.citation,
            rule.title
        );
        for group in &rule.groups {
            let _ = writeln!(
                out,
                "  {} {:<8} {:>7} / {:<7} gap {:>6}  {}",
                if group.ok { " " } else { "!" },
                group.group,
                group.have,
                group.need,
                group.gap,
                group.name.as_deref().unwrap_or("")
            );
        }
        if let Some(fresh) = &rule.freshness {
            let _ = writeln!(
                out,
                "  {} last update {}, limit {} days, overdue {:.1} days",
                if fresh.ok { " " } else { "!" },
                fresh
                    .last_updated
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".to_owned()),
                fresh.max_age_days,
                fresh.days_overdue
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::coverage::evaluate::{Aggregates, evaluate};
    use crate::coverage::rules::load_profiles;
    use crate::domain::status::EntryStatus;
    use crate::taxonomy::Taxonomy;

    fn report() -> CoverageReport {
        let taxonomy = Taxonomy::shipped().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let profile = load_profiles(&taxonomy, dir.path())
            .unwrap()
            .into_iter()
            .find(|p| p.id == "tc260-003-2024")
            .unwrap();
        evaluate(
            &profile,
            &taxonomy,
            &Aggregates::default(),
            &[EntryStatus::Approved],
            Utc::now(),
        )
    }

    #[test]
    fn csv_starts_with_a_bom_and_has_a_row_per_group() {
        let bytes = csv(&report()).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFprofile,rule,"));
        let text = String::from_utf8(bytes).unwrap();
        // header + 4 totals + 8 + 9 + 17 + 14 + 17 + 13 groups + 4 freshness rows
        assert_eq!(text.lines().count(), 1 + 4 + 8 + 9 + 17 + 14 + 17 + 13 + 4);
        assert!(text.contains("tc260-003-2024,KW-A1,"));
        assert!(text.contains("\r\n"));
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx(&report()).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }

    #[test]
    fn the_page_has_red_bars_and_no_script() {
        let builds = [BuildLinks {
            number: 4,
            evaluations: vec![(2, "succeeded".into())],
        }];
        let page = html(&report(), &[("tc260-003-2024".into(), "t".into())], &builds);
        assert!(page.contains("/v1/builds/4/evaluations/2"));
        assert!(page.contains("<svg"));
        assert!(page.contains(SHORT_COLOUR));
        assert!(!page.contains("<script"));
        assert!(page.contains("煽动颠覆国家政权"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
