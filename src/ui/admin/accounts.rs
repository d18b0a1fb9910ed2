//! `/admin/comptes`: the accounts, and inviting instructors,
//! administrators and rapporteurs.

use crate::api::auth::{AccountRow, Invite, ResetSecondFactor, SetAccountActive, list_accounts};
use crate::domain::lifecycle::Role;
use crate::ui::account::{last_error, succeeded_or_flag};
use crate::ui::forms::{ErrorSummary, InputField, SuccessNotice, field_error, load_error};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountsPage() -> impl IntoView {
    let invite = ServerAction::<Invite>::new();
    let set_active = ServerAction::<SetAccountActive>::new();
    let reset = ServerAction::<ResetSecondFactor>::new();
    let accounts = Resource::new_blocking(
        move || {
            (
                invite.version().get(),
                set_active.version().get(),
                reset.version().get(),
            )
        },
        |_| list_accounts(),
    );
    let set_error = last_error(set_active.value());
    let reset_error = last_error(reset.value());
    let reset_done = succeeded_or_flag(reset.value(), "reinitialise");
    let value = invite.value();
    let error = last_error(value);
    let done = succeeded_or_flag(value, "invite");
    view! {
        <Title text="Comptes" />
        <super::AdminLayout>
            <h1>"Comptes"</h1>
            <ErrorSummary error=set_error />
            <ErrorSummary error=reset_error />
            <Show when=move || reset_done.get()>
                <SuccessNotice title="Double authentification réinitialisée">
                    <p>
                        "Les sessions du compte sont fermées ; la personne configurera de nouveau son \
                         application à sa prochaine connexion. Un courriel l’en informe."
                    </p>
                </SuccessNotice>
            </Show>
            <Suspense>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(rows) => {
                            view! {
                                <div class="fr-table">
                                    // Scrolls sideways on a narrow screen: reachable
                                    // with the keyboard.
                                    <table tabindex="0">
                                        <caption>{format!("{} comptes", rows.len())}</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">"Adresse"</th>
                                                <th scope="col">"Rôle"</th>
                                                <th scope="col">"État"</th>
                                                <th scope="col">"Connexion"</th>
                                                <th scope="col">"Créé le"</th>
                                                <th scope="col">"Accès"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {rows
                                                .into_iter()
                                                .map(|a| account_row(a, set_active, reset))
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => load_error(e),
                    }
                })}
            </Suspense>
            <section class="fr-mt-6w" aria-labelledby="inviter">
                <h2 id="inviter">"Inviter un instructeur, un administrateur ou un rapporteur"</h2>
                <p>"La personne reçoit un lien, valable 7 jours, pour choisir son mot de passe."</p>
                <Show when=move || done.get()>
                    <SuccessNotice title="Invitation envoyée">
                        <p>"Le courriel d’invitation part dans quelques secondes."</p>
                    </SuccessNotice>
                </Show>
                <ErrorSummary error />
                <ActionForm action=invite>
                    <InputField
                        label="Adresse électronique"
                        name="email"
                        kind="email"
                        error=field_error(error, "email")
                    />
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend">"Rôle"</legend>
                        <div class="fr-fieldset__element">
                            <div class="fr-radio-group">
                                <input type="radio" id="role-instructeur" name="role" value="instructor" checked />
                                <label class="fr-label" for="role-instructeur">
                                    {Role::Instructor.label()}
                                </label>
                            </div>
                        </div>
                        <div class="fr-fieldset__element">
                            <div class="fr-radio-group">
                                <input type="radio" id="role-admin" name="role" value="admin" />
                                <label class="fr-label" for="role-admin">{Role::Admin.label()}</label>
                            </div>
                        </div>
                        <div class="fr-fieldset__element">
                            <div class="fr-radio-group">
                                <input type="radio" id="role-rapporteur" name="role" value="reporter" />
                                <label class="fr-label" for="role-rapporteur">
                                    {Role::Reporter.label()}
                                    <span class="fr-hint-text">
                                        "Consulte le tableau de bord et les demandes, sans rien décider ni écrire."
                                    </span>
                                </label>
                            </div>
                        </div>
                    </fieldset>
                    <button class="fr-btn" type="submit" disabled=move || invite.pending().get()>
                        "Envoyer l’invitation"
                    </button>
                </ActionForm>
            </section>
        </super::AdminLayout>
    }
}

/// One account: its state, and for a staff account other than one's own,
/// "Désactiver" or "Réactiver".
fn account_row(
    a: AccountRow,
    set_active: ServerAction<SetAccountActive>,
    reset: ServerAction<ResetSecondFactor>,
) -> impl IntoView {
    let staff = a.role != Role::Applicant;
    let second_factor = match (staff, a.second_factor, a.proconnect) {
        (false, _, true) => "ProConnect",
        (false, _, false) => "Mot de passe",
        (true, true, _) => "Double authentification",
        (true, false, _) => "Double authentification à configurer",
    };
    let reset_email = a.email.clone();
    let reset_button = (staff && a.second_factor && !a.is_me).then(move || {
        view! {
            <ActionForm action=reset>
                <input type="hidden" name="email" value=reset_email.clone() />
                <button class="fr-btn fr-btn--sm fr-btn--tertiary fr-mt-1w" type="submit"
                    aria-label=format!("Réinitialiser la double authentification de {reset_email}")
                    disabled=move || reset.pending().get()>
                    "Réinitialiser"
                </button>
            </ActionForm>
        }
    });
    let status = if a.deactivated {
        "Désactivé"
    } else if !a.has_password {
        "Invitation en attente"
    } else if a.confirmed {
        "Actif"
    } else {
        "Adresse non confirmée"
    };
    let email = a.email.clone();
    let action = (a.role != Role::Applicant && !a.is_me).then(move || {
        let (label, active) = if a.deactivated {
            ("Réactiver", "true")
        } else {
            ("Désactiver", "false")
        };
        view! {
            <ActionForm action=set_active>
                <input type="hidden" name="email" value=email.clone() />
                <input type="hidden" name="active" value=active />
                <button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit"
                    aria-label=format!("{label} le compte {email}")
                    disabled=move || set_active.pending().get()>
                    {label}
                </button>
            </ActionForm>
        }
    });
    view! {
        <tr>
            <td>{a.email}</td>
            <td>{a.role.label()}</td>
            <td>{status}</td>
            <td>
                {second_factor}
                {(staff && a.proconnect).then_some(" · ProConnect lié")}
                {reset_button}
            </td>
            <td>{crate::domain::time::format_paris(a.created_at)}</td>
            <td>{action}</td>
        </tr>
    }
}
