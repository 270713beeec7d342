//! Prints the fidelity table as the markdown of README.md's "Fidelity" section:
//! `cargo run -p wecom-types --example fidelity_table`.

fn main() {
    println!("| name | spec | choice | what is assumed |");
    println!("|---|---|---|---|");
    for row in wecom_types::fidelity::FIDELITY_TABLE {
        let escape = |text: &str| text.replace('|', "\\|");
        println!(
            "| `{}` | {} | `{}` | {} |",
            row.name,
            row.spec,
            escape(row.choice),
            escape(&row.what.split_whitespace().collect::<Vec<_>>().join(" "))
        );
    }
}
