//! `/espace/utilisation/:id`: a token's API calls over the last 10 minutes,
//! 30 hours and 8 days, per operation, refusals by code, and a chart of the
//! last 30 hours. Its applicant and technical contact only.

use crate::api::space::{UsageHour, UsageLine, UsageView, token_usage};
use crate::domain::time::format_paris_time;
use crate::ui::forms::load_error;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A whole number with French digit groups ("12 345").
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

const CHART_WIDTH: i64 = 720;
const CHART_HEIGHT: i64 = 160;
const BAR_GAP: i64 = 4;

/// The last 30 hours as stacked bars: data answered, refused, other.
fn chart(hours: Vec<UsageHour>) -> impl IntoView {
    let peak = hours
        .iter()
        .map(|h| h.answered + h.refused + h.other)
        .max()
        .unwrap_or(0);
    let most = peak.max(1);
    let slot = CHART_WIDTH / i64::try_from(hours.len().max(1)).unwrap_or(1);
    let height = |n: i64| n * (CHART_HEIGHT - 20) / most;
    let total: i64 = hours.iter().map(|h| h.answered + h.refused + h.other).sum();
    let summary = format!(
        "Appels par heure sur les 30 dernières heures : {} au total, au plus {} en une heure.",
        grouped(total),
        grouped(peak),
    );
    let label = summary.clone();
    let bars = hours
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let x = i64::try_from(i).unwrap_or(0) * slot + BAR_GAP / 2;
            let w = slot - BAR_GAP;
            let mut y = CHART_HEIGHT - 20;
            let mut rects = Vec::new();
            for (n, class) in [
                (h.answered, "guichet-barre--repondu"),
                (h.refused, "guichet-barre--refuse"),
                (h.other, "guichet-barre--autre"),
            ] {
                let bar = height(n);
                if bar > 0 {
                    y -= bar;
                    rects.push(view! {
                        <rect class=class x=x.to_string() y=y.to_string()
                            width=w.to_string() height=bar.to_string() />
                    });
                }
            }
            let label = (i % 6 == 0 || i + 1 == hours.len()).then(|| {
                view! {
                    <text class="guichet-graphique__heure" x=(x + w / 2).to_string()
                        y=(CHART_HEIGHT - 4).to_string() text-anchor="middle">
                        {format_paris_time(h.start).replace(" 00", "")}
                    </text>
                }
            });
            view! { <g>{rects}{label}</g> }
        })
        .collect_view();
    view! {
        <figure class="fr-mb-4w" data-testid="graphique">
            <svg class="guichet-graphique" role="img" aria-label=label
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")>
                <title>{summary}</title>
                <line class="guichet-graphique__axe" x1="0" x2=CHART_WIDTH.to_string()
                    y1=(CHART_HEIGHT - 20).to_string() y2=(CHART_HEIGHT - 20).to_string() />
                {bars}
            </svg>
            <figcaption class="fr-text--sm">
                <span class="guichet-legende guichet-barre--repondu"></span>" Données répondues "
                <span class="guichet-legende guichet-barre--refuse"></span>" Refusés (jeton, droits, paramètres, limite) "
                <span class="guichet-legende guichet-barre--autre"></span>" Autres (entité non trouvée, erreur du fournisseur)"
            </figcaption>
        </figure>
    }
}

/// A table of lines over the three windows.
fn lines_table(caption: &'static str, first: &'static str, lines: Vec<UsageLine>) -> impl IntoView {
    view! {
        <div class="fr-table fr-table--sm">
            <table>
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        <th scope="col">"10 min"</th>
                        <th scope="col">"30 h"</th>
                        <th scope="col">"8 jours"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines.into_iter().map(|l| view! {
                        <tr>
                            <td>{l.label}<br /><code class="fr-text--xs">{l.key}</code></td>
                            <td>{grouped(l.calls[0])}</td>
                            <td>{grouped(l.calls[1])}</td>
                            <td>{grouped(l.calls[2])}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn usage(v: UsageView) -> impl IntoView {
    let empty = v.windows.iter().all(|w| w.total == 0);
    view! {
        <h1>{format!("Utilisation du jeton « {} »", v.name)}</h1>
        <p>{format!("Demande n° {} — {}", v.request_id, v.organisation)}</p>
        {v.sandbox.then(|| view! {
            <p class="fr-badge fr-badge--info fr-mb-2w">"Bac à sable : données fictives"</p>
        })}
        <div class="fr-table fr-table--sm">
            <table data-testid="fenetres">
                <caption>"Appels du jeton"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Période"</th>
                        <th scope="col">"Appels"</th>
                        <th scope="col">"Données répondues"</th>
                        <th scope="col">"Entité non trouvée"</th>
                        <th scope="col">"Refusés"</th>
                        <th scope="col">"Erreurs"</th>
                    </tr>
                </thead>
                <tbody>
                    {v.windows.iter().map(|w| view! {
                        <tr>
                            <th scope="row">{w.label.clone()}</th>
                            <td>{grouped(w.total)}</td>
                            <td>{grouped(w.answered)}</td>
                            <td>{grouped(w.not_found)}</td>
                            <td>{grouped(w.refused)}</td>
                            <td>{grouped(w.failed)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {if empty {
            view! {
                <p>"Aucun appel ces 8 derniers jours. Les appels apparaissent ici quelques secondes après avoir été faits."</p>
            }.into_any()
        } else {
            view! {
                <h2 class="fr-h4">"Les 30 dernières heures"</h2>
                {chart(v.hours)}
                {lines_table("Appels par opération", "Opération", v.operations)}
                {(!v.refusals.is_empty()).then(|| lines_table(
                    "Réponses sans données, par code", "Code", v.refusals))}
            }.into_any()
        }}
        <a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href=crate::paths::SPACE>
            "Retour à mon espace"
        </a>
    }
}

#[component]
pub fn TokenUsagePage() -> impl IntoView {
    let params = use_params_map();
    let view = Resource::new_blocking(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        token_usage,
    );
    view! {
        <Title text="Utilisation d’un jeton" />
        <div class="fr-container fr-my-6w">
            <Suspense>
                {move || Suspend::new(async move {
                    match view.await {
                        Err(e) => load_error(e),
                        Ok(v) => usage(v).into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn numbers_are_grouped_the_french_way() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(12_345), "12\u{202f}345");
        assert_eq!(grouped(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
