//! A generated district of any size, made from the demo table's rows, to try Lianfang at the
//! scale of a real district (`lianfang seed-demo --generated-posts 1226`: 1,226 posts, 8,426 risk
//! points, 25,278 measures, the figures of the district this was measured on). Each generated
//! post has six or seven risk points taken from different demo rows (so their texts, ratings and
//! three measures each are as long and varied as real ones), in generated bureaus with ten
//! sections of three ranks each. The table goes through the importer like any other.

/// Risk points per post in the measured district: 8,426 over 1,226 posts.
const POINTS: usize = 8_426;
const POSTS: usize = 1_226;

/// Generated bureaus; past the end of the list, numbered parts of them (`区财政局第2分部`).
const UNITS: [&str; 42] = [
    "区发展和改革局",
    "区财政局",
    "区人力资源和社会保障局",
    "区自然资源局",
    "区住房和城乡建设局",
    "区水务局",
    "区农业农村局",
    "区商务局",
    "区文化和旅游局",
    "区卫生健康委员会",
    "区应急管理局",
    "区市场监督管理局",
    "区医疗保障局",
    "区统计局",
    "区审计局",
    "区民政局",
    "区司法局",
    "区退役军人事务局",
    "区生态环境分局",
    "区林业局",
    "区科学技术局",
    "区工业和信息化局",
    "区国有资产管理中心",
    "区政务服务中心",
    "区机关事务管理局",
    "区档案馆",
    "区图书馆",
    "区体育中心",
    "区残疾人联合会",
    "区总工会",
    "区妇女联合会",
    "区团委",
    "区供销合作社",
    "区公共资源交易中心",
    "区住房公积金管理中心",
    "区不动产登记中心",
    "区疾病预防控制中心",
    "区人民医院",
    "区中医院",
    "区妇幼保健院",
    "长安街道办事处",
    "滨江街道办事处",
];
const SECTIONS: [&str; 10] = [
    "办公室",
    "财务科",
    "人事科",
    "审批科",
    "项目管理科",
    "政府采购科",
    "政策法规科",
    "综合执法大队",
    "规划建设科",
    "监督检查科",
];
const RANKS: [(&str, &str); 3] = [
    ("科长", "中层岗位"),
    ("副科长", "中层岗位"),
    ("科员", "其它岗位"),
];

/// A tab-separated risk table of `posts` generated posts, with the demo table's header and, for
/// each post, six or seven of the demo table's `rows` (its lines after the header, cycled).
pub fn generated_table(demo: &str, posts: usize) -> anyhow::Result<String> {
    let mut lines = demo.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| anyhow::anyhow!("The demo table is empty"))?;
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    let columns = header.split('\t').count();
    if rows.len() < 7 || rows.iter().any(|r| r.len() != columns) {
        anyhow::bail!("The demo table needs at least 7 whole rows to generate a district from");
    }
    let per_unit = SECTIONS.len() * RANKS.len();
    let mut out = String::with_capacity(posts * 7 * 600);
    out.push_str(header);
    out.push('\n');
    let mut next_row = 0;
    for post in 0..posts {
        let (unit, within) = (post / per_unit, post % per_unit);
        let unit_name = match UNITS.get(unit) {
            Some(name) => (*name).to_owned(),
            None => format!(
                "{}第{}分部",
                UNITS[unit % UNITS.len()],
                unit / UNITS.len() + 1
            ),
        };
        let (rank, level) = RANKS[within % RANKS.len()];
        let title = format!("{}{rank}", SECTIONS[within / RANKS.len()]);
        // Six or seven points, adding up to the measured ratio over the district.
        let points = (post + 1) * POINTS / POSTS - post * POINTS / POSTS;
        for _ in 0..points {
            let row = &rows[next_row % rows.len()];
            next_row += 1;
            let mut cells: Vec<&str> = row.clone();
            cells[0] = &unit_name;
            cells[1] = &title;
            cells[2] = level;
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_district_has_the_measured_shape_and_parses_whole() {
        let table = generated_table(crate::seed::BUILT_IN_DEMO_DATA, POSTS).unwrap();
        let parsed = crate::exchange::parse_table(table.as_bytes()).unwrap();
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected.first());
        assert_eq!(parsed.rows.len(), POINTS);
        let posts: std::collections::HashSet<(String, String)> = parsed
            .rows
            .iter()
            .map(|r| (r.unit_label(), r.post.to_string()))
            .collect();
        assert_eq!(posts.len(), POSTS);
        let measures: usize = parsed.rows.iter().map(|r| r.measures.len()).sum();
        assert_eq!(measures, 3 * POINTS, "three measures per demo row");
    }
}
