//! The picture of a comparison (`--svg FILE` of `compare` and `durable`): throughput per case,
//! each bar labelled with its ratio to the reference case, beside p50 and p99 latency per case.
//! Drawn with plotters' SVG backend alone (no font or bitmap stack to build: the text is SVG
//! text, sized by plotters' built-in estimate).

use std::path::Path;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use wecom_bench::BenchError;

/// One case of the picture.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub name: String,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 440;
const THROUGHPUT: RGBColor = RGBColor(70, 110, 170);
const REFERENCE: RGBColor = RGBColor(150, 150, 150);
const P50: RGBColor = RGBColor(90, 160, 110);
const P99: RGBColor = RGBColor(200, 120, 60);

/// Writes the chart to `path`; `reference` names the case the ratios are taken against.
pub(crate) fn write(path: &Path, title: &str, reference: &str, bars: &[Bar]) -> Result<(), BenchError> {
    draw(path, title, reference, bars).map_err(|e| BenchError::Chart { path: path.to_owned(), reason: e.to_string() })
}

fn draw(path: &Path, title: &str, reference: &str, bars: &[Bar]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    let (left, right) = root.split_horizontally(WIDTH / 2);
    // A segmented `0..last` has a segment for each of 0 ..= last: one per case.
    let last = bars.len().saturating_sub(1);
    let n = last + 1;
    let names: Vec<String> = bars.iter().map(|b| b.name.clone()).collect();
    let label = |x: &SegmentValue<usize>| match x {
        SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let reference_rps = bars.iter().find(|b| b.name == reference).map_or(0.0, |b| b.rps);
    let top_rps = bars.iter().map(|b| b.rps).fold(1.0, f64::max) * 1.18;

    let mut chart = ChartBuilder::on(&left)
        .caption(format!("throughput (ratio to {reference})"), ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((0..last).into_segmented(), 0.0..top_rps)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_max_light_lines(1)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("requests / s")
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        let color = if bar.name == reference { REFERENCE } else { THROUGHPUT };
        let mut rect =
            Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), bar.rps)], color.filled());
        rect.set_margin(0, 0, 10, 10);
        rect
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        let ratio = if reference_rps > 0.0 { bar.rps / reference_rps } else { 0.0 };
        let style = ("sans-serif", 12).into_text_style(&left).pos(Pos::new(HPos::Center, VPos::Bottom));
        Text::new(format!("{:.0} ({ratio:.2}×)", bar.rps), (SegmentValue::CenterOf(i), bar.rps + top_rps * 0.01), style)
    }))?;

    // Headroom above the highest bar for the legend.
    let top_us = bars.iter().map(|b| b.p99_us).fold(1.0, f64::max) * 1.3;
    let mut chart = ChartBuilder::on(&right)
        .caption("latency: p50 and p99", ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((0..last).into_segmented(), 0.0..top_us)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_max_light_lines(1)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("µs")
        .draw()?;
    // Two bars per case: the segment's left half p50, its right half p99 (margins in pixels).
    let segment_px = (WIDTH / 2).saturating_sub(64 + 24) / n as u32;
    let half = segment_px / 2;
    for (name, color, pick, left_margin, right_margin) in
        [("p50", P50, (|b: &Bar| b.p50_us) as fn(&Bar) -> f64, 8, half), ("p99", P99, |b: &Bar| b.p99_us, half, 8)]
    {
        chart
            .draw_series(bars.iter().enumerate().map(|(i, bar)| {
                let mut rect = Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), pick(bar))],
                    color.filled(),
                );
                rect.set_margin(0, 0, left_margin, right_margin);
                rect
            }))?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_names_every_case_and_its_ratio() {
        let path = std::env::temp_dir().join(format!("wecom-bench-chart-{}.svg", std::process::id()));
        let bar = |name: &str, rps| Bar { name: name.to_owned(), rps, p50_us: 900.0, p99_us: 2500.0 };
        write(&path, "test", "baseline", &[bar("baseline", 1000.0), bar("get", 850.0)]).expect("drawn");
        let svg = std::fs::read_to_string(&path).expect("written");
        let _ = std::fs::remove_file(&path);
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        for text in ["baseline", "get", "1000 (1.00×)", "850 (0.85×)", "p50", "p99"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }
}
