//! Step 4: the legal framework, its texts' links and PDFs.

use super::super::Draft;
use super::super::field::{Field, Lens, lens};
use leptos::prelude::*;

pub fn legal_step(draft: Draft) -> impl IntoView {
    let basis = lens!(legal.basis);
    let recipients = lens!(legal.recipients);
    let retention = lens!(legal.retention_months);
    let retention_justification = lens!(legal.retention_justification);
    // One address per line.
    let urls = Lens {
        path: "legal.urls",
        get: |d| d.legal.urls.join("\n"),
        set: |d, v| {
            d.legal.urls = v
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
        },
    };
    view! {
        <Field draft label="Fondement juridique" lens=basis multiline=true
            hint="Le texte (loi, décret, délibération…) qui vous autorise à traiter ces données." />
        <Field draft label="Liens vers les textes (un par ligne)" lens=urls multiline=true
            hint="Adresses https, par exemple sur legifrance.gouv.fr" />
        <crate::ui::attachments::AttachmentsField draft />
        <Field draft label="Destinataires des données" lens=recipients multiline=true />
        <Field draft label="Durée de conservation (en mois)" lens=retention />
        <Field draft label="Justification de la durée de conservation" lens=retention_justification multiline=true
            hint="Obligatoire au-delà de 36 mois." />
    }
}
