//! The French emails, each as plain text and HTML. Every value put in the HTML
//! is escaped.

use crate::server::db::outbox::NewEmail;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const SIGNATURE: &str = "L’équipe Guichet API Entreprise";

fn html_page(title: &str, paragraphs: &[String], link: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!(
            "<p style=\"margin:0 0 16px 0\">{}</p>\n",
            escape(p)
        ));
    }
    if let Some((label, url)) = link {
        body.push_str(&format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:#000091;color:#ffffff;\
             padding:8px 16px;text-decoration:none;display:inline-block\">{}</a></p>\n\
             <p style=\"margin:0 0 16px 0;font-size:14px\">Si le bouton ne fonctionne pas, copiez \
             cette adresse dans votre navigateur : {}</p>\n",
            escape(url),
            escape(label),
            escape(url)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:Marianne,Arial,sans-serif;color:#161616;max-width:600px\">\n\
         <p style=\"font-weight:700\">République française — Guichet API Entreprise</p>\n\
         <h1 style=\"font-size:22px\">{}</h1>\n{}<p>{}</p>\n</body>\n</html>\n",
        escape(title),
        escape(title),
        body,
        escape(SIGNATURE)
    )
}

fn text_page(title: &str, paragraphs: &[String], link: Option<(&str, &str)>) -> String {
    let mut out = format!("{title}\n\n");
    for p in paragraphs {
        out.push_str(p);
        out.push_str("\n\n");
    }
    if let Some((label, url)) = link {
        out.push_str(&format!("{label} : {url}\n\n"));
    }
    out.push_str(SIGNATURE);
    out.push('\n');
    out
}

fn email(
    kind: &str,
    to: &str,
    subject: &str,
    paragraphs: Vec<String>,
    link: Option<(&str, &str)>,
) -> NewEmail {
    NewEmail {
        kind: kind.to_owned(),
        to_address: to.to_owned(),
        subject: subject.to_owned(),
        body_text: text_page(subject, &paragraphs, link),
        body_html: html_page(subject, &paragraphs, link),
    }
}

/// Asks a new applicant to confirm their email address.
pub fn email_confirmation(to: &str, link: &str) -> NewEmail {
    email(
        "email_confirmation",
        to,
        "Confirmez votre adresse électronique",
        vec![
            "Bonjour,".to_owned(),
            "Vous avez créé un compte sur Guichet API Entreprise. Pour l’activer, confirmez \
             votre adresse électronique. Ce lien est valable 24 heures et ne sert qu’une fois."
                .to_owned(),
            "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.".to_owned(),
        ],
        Some(("Confirmer mon adresse", link)),
    )
}

/// Someone tried to create an account with an address that has one: its
/// owner is told, and nothing on the site says the account exists.
pub fn account_exists(to: &str, login_link: &str, reset_link: &str) -> NewEmail {
    email(
        "account_exists",
        to,
        "Vous avez déjà un compte",
        vec![
            "Bonjour,".to_owned(),
            "Une création de compte sur Guichet API Entreprise vient d’être demandée avec \
             votre adresse électronique, qui a déjà un compte. Aucun nouveau compte n’a été créé."
                .to_owned(),
            format!(
                "Pour vous connecter : {login_link} — mot de passe oublié ? Choisissez-en un \
                 nouveau : {reset_link}"
            ),
            "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.".to_owned(),
        ],
        Some(("Me connecter", login_link)),
    )
}

/// Tells the applicant their request was received.
/// To the owner of an account whose sign-in is locked after repeated
/// failures.
pub fn sign_in_locked(to: &str, minutes: i64, reset_link: &str) -> NewEmail {
    email(
        "sign_in_locked",
        to,
        "Connexion à votre compte bloquée temporairement",
        vec![
            "Bonjour,".to_owned(),
            format!(
                "Plusieurs tentatives de connexion à votre compte Guichet API Entreprise ont \
                 échoué à la suite. Pour protéger votre compte, la connexion est bloquée pendant \
                 {minutes} minutes."
            ),
            format!(
                "Si c’était vous, patientez ou choisissez un nouveau mot de passe : \
                 {reset_link}. Si ce n’était pas vous, votre mot de passe n’a pas été trouvé ; \
                 vous pouvez en choisir un nouveau par prudence."
            ),
        ],
        Some(("Choisir un nouveau mot de passe", reset_link)),
    )
}

/// A staff member's second factor was reset by an administrator.
pub fn second_factor_reset(to: &str, sign_in_link: &str) -> NewEmail {
    email(
        "second_factor_reset",
        to,
        "Votre double authentification a été réinitialisée",
        vec![
            "Bonjour,".to_owned(),
            "Un administrateur de Guichet API Entreprise a réinitialisé la double \
             authentification de votre compte : l’application d’authentification et les codes de \
             secours enregistrés ne sont plus valables, et vos sessions ouvertes ont été fermées."
                .to_owned(),
            format!(
                "À votre prochaine connexion ({sign_in_link}), vous configurerez de nouveau votre \
                 application en scannant un QR code. Si vous n’avez rien demandé, prévenez \
                 immédiatement un administrateur de Guichet."
            ),
        ],
        Some(("Se connecter", sign_in_link)),
    )
}

pub fn request_received(to: &str, id: i64, title: &str, link: &str) -> NewEmail {
    email(
        "request_received",
        to,
        &format!("Demande n° {id} reçue"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "Votre demande d’accès à API Entreprise n° {id} « {title} » a bien été déposée. \
                 Un instructeur va l’examiner ; vous serez prévenu par courriel de sa décision \
                 ou s’il a besoin de précisions."
            ),
        ],
        Some(("Voir ma demande", link)),
    )
}

/// Tells an instructor a request is waiting for review.
pub fn new_request(to: &str, id: i64, title: &str, organisation: &str, link: &str) -> NewEmail {
    email(
        "new_request",
        to,
        &format!("Nouvelle demande n° {id} à instruire"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "{organisation} a déposé la demande n° {id} « {title} ». Elle attend son \
                 instruction."
            ),
        ],
        Some(("Ouvrir la demande", link)),
    )
}

/// A link to choose a new password after "mot de passe oublié".
pub fn password_reset(to: &str, link: &str) -> NewEmail {
    email(
        "password_reset",
        to,
        "Réinitialisation de votre mot de passe",
        vec![
            "Bonjour,".to_owned(),
            "Une réinitialisation du mot de passe de votre compte Guichet API Entreprise a été \
             demandée. Ce lien est valable 1 heure et ne sert qu’une fois ; les liens envoyés \
             auparavant ne fonctionnent plus."
                .to_owned(),
            "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de \
             passe actuel reste valable."
                .to_owned(),
        ],
        Some(("Choisir un nouveau mot de passe", link)),
    )
}

/// An invitation (instructor, admin, client space) to choose a password.
pub fn invitation(to: &str, link: &str, cgu_url: &str) -> NewEmail {
    email(
        "invitation",
        to,
        "Votre accès à Guichet API Entreprise",
        vec![
            "Bonjour,".to_owned(),
            "Un compte a été créé pour vous sur Guichet API Entreprise. Choisissez votre mot \
             de passe pour y accéder. Ce lien est valable 7 jours et ne sert qu’une fois."
                .to_owned(),
            format!(
                "L’utilisation du service est soumise aux conditions générales d’utilisation : {cgu_url}"
            ),
        ],
        Some(("Choisir mon mot de passe", link)),
    )
}

/// Tells the applicant the instructor needs changes before going on.
pub fn changes_requested(to: &str, id: i64, title: &str, message: &str, link: &str) -> NewEmail {
    email(
        "changes_requested",
        to,
        &format!("Demande n° {id} : des précisions sont nécessaires"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "L’instructeur de votre demande n° {id} « {title} » a besoin de précisions ou \
                 de modifications avant de poursuivre. Son message :"
            ),
            message.to_owned(),
            "Modifiez votre demande (vos saisies sont enregistrées au fur et à mesure), puis \
             déposez-la de nouveau."
                .to_owned(),
        ],
        Some(("Compléter ma demande", link)),
    )
}

/// Tells the applicant their request was refused, and why.
pub fn request_refused(to: &str, id: i64, title: &str, reason: &str, link: &str) -> NewEmail {
    email(
        "request_refused",
        to,
        &format!("Demande n° {id} refusée"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "Votre demande d’accès à API Entreprise n° {id} « {title} » a été refusée. Motif :"
            ),
            reason.to_owned(),
            "Vous pouvez déposer une nouvelle demande qui tienne compte de ce motif.".to_owned(),
        ],
        Some(("Voir ma demande", link)),
    )
}

/// Reminds the applicant that a token expires (J-90 … J-0); `link` goes
/// to the renewal's check (to the space once expired).
pub fn token_expiry_reminder(
    to: &str,
    request_id: i64,
    name: &str,
    days: i64,
    expires_at: i64,
    link: &str,
) -> NewEmail {
    let date = crate::domain::time::format_paris_date(expires_at);
    let (subject, first) = if days == 0 {
        (
            format!("Votre jeton API Entreprise « {name} » a expiré"),
            format!(
                "Le jeton de la demande n° {request_id} « {name} » a expiré le {date} : les \
                 appels faits avec lui sont refusés."
            ),
        )
    } else {
        (
            format!("Votre jeton API Entreprise « {name} » expire dans {days} jours"),
            format!(
                "Le jeton de la demande n° {request_id} « {name} » expire le {date}, dans \
                 {days} jours. Pour le prolonger de 18 mois, vérifiez depuis votre espace que \
                 l’objet, les contacts et les données de l’habilitation sont toujours exacts."
            ),
        )
    };
    email(
        "token_expiry_reminder",
        to,
        &subject,
        vec![
            "Bonjour,".to_owned(),
            first,
            "Sans prolongation, les services qui utilisent ce jeton ne recevront plus de données."
                .to_owned(),
        ],
        Some((
            if days == 0 {
                "Accéder à mon espace"
            } else {
                "Vérifier et prolonger"
            },
            link,
        )),
    )
}

/// Tells a person of an authorisation that it was renewed: by whom, until
/// when, and the data removed (labels).
pub fn token_renewed(
    to: &str,
    request_id: i64,
    name: &str,
    by: &str,
    expires_at: i64,
    removed: &[String],
    space_link: &str,
) -> NewEmail {
    let mut lines = vec![
        "Bonjour,".to_owned(),
        format!(
            "{by} a confirmé que l’objet, les contacts et les données de l’habilitation n° \
             {request_id} « {name} » sont toujours exacts : elle est prolongée jusqu’au {}. Le \
             jeton ne change pas : rien n’est à redéployer.",
            crate::domain::time::format_paris_date(expires_at)
        ),
    ];
    if !removed.is_empty() {
        lines.push(format!(
            "Ces données, inutilisées depuis au moins 90 jours ou devenues inutiles, ont été \
             retirées : {}. Les appels qui les demandent sont refusés dès maintenant.",
            removed.join(", ")
        ));
    }
    lines.push(
        "Si quelque chose a changé depuis, demandez une mise à jour de l’habilitation depuis \
         votre espace."
            .to_owned(),
    );
    email(
        "token_renewed",
        to,
        &format!("Demande n° {request_id} : habilitation API Entreprise prolongée"),
        lines,
        Some(("Accéder à mon espace", space_link)),
    )
}

/// Tells the applicant their access was revoked: the token no longer works.
pub fn token_revoked(to: &str, id: i64, title: &str, reason: &str, link: &str) -> NewEmail {
    email(
        "token_revoked",
        to,
        &format!("Demande n° {id} : accès révoqué"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "L’accès à API Entreprise accordé pour la demande n° {id} « {title} » a été \
                 révoqué : son jeton est refusé dès maintenant. Motif :"
            ),
            reason.to_owned(),
            "Pour retrouver un accès, déposez une nouvelle demande qui tienne compte de ce motif."
                .to_owned(),
        ],
        Some(("Voir ma demande", link)),
    )
}

/// Tells a person of a token that it has a new string: who replaced it,
/// until when the old one is accepted (`old_until`: `None` when it is
/// refused at once).
pub fn token_rotated(
    to: &str,
    request_id: i64,
    name: &str,
    by_staff: bool,
    old_until: Option<i64>,
    space_link: &str,
) -> NewEmail {
    let who = if by_staff {
        "L’équipe d’instruction d’API Entreprise a remplacé"
    } else {
        "Une personne de votre organisation a remplacé"
    };
    let old = match old_until {
        Some(end) => format!(
            "L’ancien jeton reste accepté jusqu’au {} (heure de Paris) : déployez le nouveau \
             avant cette date. Après, seuls les appels faits avec le nouveau jeton seront \
             acceptés.",
            crate::domain::time::format_paris_long(end)
        ),
        None => "L’ancien jeton est refusé dès maintenant : déployez le nouveau sans attendre."
            .to_owned(),
    };
    email(
        "token_rotated",
        to,
        &format!("Demande n° {request_id} : votre jeton API Entreprise a été remplacé"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "{who} le jeton de la demande n° {request_id} « {name} » par un nouveau jeton. \
                 Les données accessibles et la date d’expiration ne changent pas."
            ),
            old,
            "Le nouveau jeton s’affiche dans votre espace. Si vous n’êtes pas à l’origine de ce \
             remplacement, répondez à l’instructeur depuis la page de votre demande."
                .to_owned(),
        ],
        Some(("Accéder à mon espace", space_link)),
    )
}

/// Tells a person of an authorisation that its update was accepted: the
/// same token, with these data from now on; a link to choose a password
/// for a new account.
#[allow(clippy::too_many_arguments)]
pub fn update_accepted(
    to: &str,
    parent_id: i64,
    update_id: i64,
    title: &str,
    scope_groups: &[(String, Vec<String>)],
    message: &str,
    password_link: Option<&str>,
    space_link: &str,
) -> NewEmail {
    let mut paragraphs = vec![
        "Bonjour,".to_owned(),
        format!(
            "La mise à jour n° {update_id} de l’habilitation n° {parent_id} « {title} » a été \
             validée. Le jeton reste le même : rien à redéployer. Dès maintenant, il donne accès à :"
        ),
    ];
    for (group, labels) in scope_groups {
        paragraphs.push(format!("— {group} : {}", labels.join(", ")));
    }
    if !message.trim().is_empty() {
        paragraphs.push(format!("Message de l’instructeur : {message}"));
    }
    let link = match password_link {
        Some(l) => {
            paragraphs.push(
                "Vous êtes désormais contact technique de cette habilitation : choisissez votre \
                 mot de passe pour accéder au jeton (lien valable 7 jours)."
                    .to_owned(),
            );
            ("Choisir mon mot de passe", l)
        }
        None => ("Accéder à mon espace", space_link),
    };
    email(
        "update_accepted",
        to,
        &format!("Demande n° {parent_id} : mise à jour validée"),
        paragraphs,
        Some(link),
    )
}

/// Offers a request to a colleague: the link accepts it (7 days).
pub fn transfer_offered(
    to: &str,
    id: i64,
    title: &str,
    from: &str,
    link: &str,
    expires_at: i64,
) -> NewEmail {
    email(
        "transfer_offered",
        to,
        &format!("Demande n° {id} : {from} vous la transfère"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "{from} vous propose de reprendre la demande d’accès à API Entreprise n° {id} \
                 « {title} » : vous en deviendrez le demandeur, et verrez son jeton s’il a été \
                 délivré (le jeton continue de fonctionner, rien n’est à redéployer)."
            ),
            format!(
                "Ce lien est valable jusqu’au {} et ne sert qu’une fois. Si vous ne connaissez \
                 pas cette demande, ignorez ce courriel.",
                crate::domain::time::format_paris_long(expires_at)
            ),
        ],
        Some(("Accepter le transfert", link)),
    )
}

/// Tells the former applicant their request now belongs to a colleague.
pub fn transfer_done(to: &str, id: i64, title: &str, colleague: &str, link: &str) -> NewEmail {
    email(
        "transfer_done",
        to,
        &format!("Demande n° {id} transférée à {colleague}"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "{colleague} a accepté de reprendre la demande n° {id} « {title} » : c’est \
                 désormais son demandeur. Vous n’y avez plus accès, ni à son jeton."
            ),
        ],
        Some(("Voir la demande", link)),
    )
}

/// Tells the applicant their request was accepted (the client space and the
/// token are described in the space itself).
pub fn request_accepted(to: &str, id: i64, title: &str, message: &str, link: &str) -> NewEmail {
    let mut paragraphs = vec![
        "Bonjour,".to_owned(),
        format!("Votre demande d’accès à API Entreprise n° {id} « {title} » a été validée."),
    ];
    if !message.trim().is_empty() {
        paragraphs.push(format!("Message de l’instructeur : {message}"));
    }
    email(
        "request_accepted",
        to,
        &format!("Demande n° {id} validée"),
        paragraphs,
        Some(("Voir ma demande", link)),
    )
}

/// Tells a member of the client space that the request is accepted and its
/// token issued: with the terms of use, and a link to choose a password
/// (new account) or to the space.
pub fn request_accepted_access(
    to: &str,
    id: i64,
    title: &str,
    message: &str,
    cgu_url: &str,
    password_link: Option<&str>,
    space_link: &str,
) -> NewEmail {
    let mut paragraphs = vec![
        "Bonjour,".to_owned(),
        format!("La demande d’accès à API Entreprise n° {id} « {title} » a été validée."),
        "Un jeton d’accès a été délivré pour ce cadre d’usage, valable 18 mois. Il vous \
         attend dans l’espace de votre organisation, avec les données qu’il ouvre."
            .to_owned(),
    ];
    if !message.trim().is_empty() {
        paragraphs.push(format!("Message de l’instructeur : {message}"));
    }
    paragraphs.push(format!(
        "L’utilisation d’API Entreprise est soumise aux conditions générales d’utilisation : \
         {cgu_url}"
    ));
    paragraphs.push(
        "Ne transmettez jamais le jeton par courriel et ne le collez pas dans un moteur de \
         recherche : il donne accès à des données protégées."
            .to_owned(),
    );
    match password_link {
        Some(link) => {
            paragraphs.push(
                "Pour accéder à l’espace, choisissez votre mot de passe. Ce lien est valable \
                 7 jours et ne sert qu’une fois."
                    .to_owned(),
            );
            email(
                "request_accepted",
                to,
                &format!("Demande n° {id} validée : votre accès à API Entreprise"),
                paragraphs,
                Some(("Choisir mon mot de passe", link)),
            )
        }
        None => email(
            "request_accepted",
            to,
            &format!("Demande n° {id} validée : votre accès à API Entreprise"),
            paragraphs,
            Some(("Accéder à mon espace", space_link)),
        ),
    }
}

/// Tells the other side a message is waiting (its text stays on the site).
pub fn new_message(to: &str, id: i64, title: &str, link: &str) -> NewEmail {
    email(
        "new_message",
        to,
        &format!("Nouveau message sur la demande n° {id}"),
        vec![
            "Bonjour,".to_owned(),
            format!(
                "Un nouveau message vous attend sur la demande n° {id} « {title} ». Pour le lire \
                 et y répondre, connectez-vous à Guichet API Entreprise."
            ),
        ],
        Some(("Lire le message", link)),
    )
}

/// Tells a token's technical contact that its integration, which worked,
/// is now refused: the counts per reason over the last hour and what to do.
pub fn integration_failing(
    to: &str,
    request_id: i64,
    name: &str,
    refusals: &[(String, i64)],
    usage_link: &str,
) -> NewEmail {
    let total: i64 = refusals.iter().map(|(_, n)| n).sum();
    let mut lines = vec![
        "Bonjour,".to_owned(),
        format!(
            "Le jeton de la demande n° {request_id} « {name} » fonctionnait, mais {total} de ses \
             appels ont été refusés au cours de la dernière heure :"
        ),
    ];
    for (code, n) in refusals {
        if let Some((_, label, todo)) = crate::domain::usage::FAILING_CODES
            .iter()
            .find(|(c, _, _)| c == code)
        {
            lines.push(format!("• {n} × {label} (code {code}) : {todo}"));
        }
    }
    lines.push(
        "Vous recevez ce message au plus une fois par jour pour ce jeton. Le détail des appels \
         par opération est dans votre espace."
            .to_owned(),
    );
    email(
        "integration_failing",
        to,
        &format!("Votre intégration API Entreprise « {name} » est en échec"),
        lines,
        Some(("Voir l’utilisation du jeton", usage_link)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_has_text_and_html_in_french() {
        for e in [
            email_confirmation("a@b.fr", "https://guichet.example/confirmer/abc"),
            password_reset("a@b.fr", "https://guichet.example/reinitialiser/abc"),
            invitation(
                "a@b.fr",
                "https://guichet.example/invitation/abc",
                "https://guichet.example/cgu",
            ),
        ] {
            assert!(e.body_text.contains("Bonjour"));
            assert!(e.body_html.contains("<html lang=\"fr\">"));
            assert!(e.body_text.contains("https://guichet.example/"));
            assert!(e.body_html.contains("https://guichet.example/"));
            assert!(e.body_text.ends_with("L’équipe Guichet API Entreprise\n"));
        }
        assert!(
            invitation("a@b.fr", "x", "https://guichet.example/cgu")
                .body_text
                .contains("cgu")
        );
    }

    #[test]
    fn html_escapes_every_value() {
        let e = password_reset("a@b.fr", "https://x.fr/?a=1&b=<script>");
        assert!(e.body_html.contains("a=1&amp;b=&lt;script&gt;"));
        assert!(!e.body_html.contains("<script>"));
        assert_eq!(escape("\"'<>&"), "&quot;&#39;&lt;&gt;&amp;");
    }
}
