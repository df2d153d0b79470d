//! Who is told: the recipients of each due rung (the agencies' contacts by role, the office,
//! the leadership) and the digest line that describes it. Pure over the loaded context. A rung
//! nobody can receive is held (see the module docs of [`super`]).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Addresses the rungs `due` for `tasks`: returns the addressable ones and the held ones.
pub(super) fn address(
    tasks: &[TaskRow],
    due: Vec<Due>,
    ctx: &Context,
    today: NaiveDate,
) -> (Vec<PlannedRung>, Vec<PlannedRung>) {
    let Context {
        plan_titles,
        assignments,
        agency_names,
        contacts,
        users,
        ..
    } = ctx;
    let people = |role: UserRole, agency_name: &str, audience: Audience, as_role: Role| {
        users
            .iter()
            .filter(|u| u.role == role.as_str())
            .filter_map(|u| {
                let email = u.email.as_deref()?.trim();
                (!email.is_empty()).then(|| Recipient {
                    email: email.to_owned(),
                    name: u.display_name.clone(),
                    agency_name: agency_name.to_owned(),
                    agency_id: None,
                    audience,
                    role: as_role,
                })
            })
            .collect::<Vec<_>>()
    };
    let office = people(
        UserRole::Office,
        OFFICE_NAME,
        Audience::Office,
        Role::Office,
    );
    let leadership = people(
        UserRole::Leader,
        "领导",
        Audience::Leadership,
        Role::Leadership,
    );

    let mut planned = Vec::with_capacity(due.len());
    let mut unaddressed = Vec::new();
    for (i, trigger, rung, rung_key) in due {
        let t = &tasks[i];
        let empty = Vec::new();
        let assigned = assignments.get(&t.id).unwrap_or(&empty);
        let mut recipients: Vec<Recipient> = Vec::new();
        let mut add = |r: Recipient| {
            if !recipients
                .iter()
                .any(|x| x.email.eq_ignore_ascii_case(&r.email))
            {
                recipients.push(r);
            }
        };
        for &audience in &rung.audiences {
            let (agency_role, contact_role) = match audience {
                Audience::LeadContacts => (AssignmentRole::Lead, ContactRole::Liaison),
                Audience::ParticipantContacts => {
                    (AssignmentRole::Participant, ContactRole::Liaison)
                }
                Audience::Implementers => (AssignmentRole::Implementer, ContactRole::Liaison),
                Audience::AgencyHead => (AssignmentRole::Lead, ContactRole::Head),
                Audience::DeputyInCharge => (AssignmentRole::Lead, ContactRole::Deputy),
                Audience::Office => {
                    office.iter().cloned().for_each(&mut add);
                    continue;
                }
                Audience::Leadership => {
                    leadership.iter().cloned().for_each(&mut add);
                    continue;
                }
            };
            let role = match agency_role {
                AssignmentRole::Lead => Role::Lead,
                AssignmentRole::Participant => Role::Participant,
                _ => Role::Implementer,
            };
            for (agency_id, _) in assigned.iter().filter(|(_, r)| *r == agency_role) {
                let agency_name = agency_names.get(agency_id).cloned().unwrap_or_default();
                for c in contacts.get(agency_id).into_iter().flatten() {
                    if c.role == contact_role.as_str() && !c.email.trim().is_empty() {
                        add(Recipient {
                            email: c.email.trim().to_owned(),
                            name: c.name.clone(),
                            agency_name: agency_name.clone(),
                            agency_id: Some(*agency_id),
                            audience,
                            role,
                        });
                    }
                }
            }
        }
        let (matter, date) = match &trigger {
            Trigger::Deadline { due } => (Matter::Deadline, *due),
            Trigger::ReportDue { period, due } => (
                Matter::Report {
                    period: period.clone(),
                },
                *due,
            ),
            Trigger::VerificationPending { requested_at } => {
                (Matter::Verification, requested_at.date())
            }
        };
        let item = DigestItem {
            level: rung.level,
            matter: matter.clone(),
            plan_title: plan_titles.get(&t.plan_id).cloned().unwrap_or_default(),
            task_code: t.code.clone(),
            task_title: t.title.clone(),
            role: Role::Lead,
            deadline: Some(date),
            days: (today - date).num_days(),
            light: traffic_light(t.deadline, false, t.progress, today),
            link: format!("/tasks/{}", t.id),
            doc_number: None,
        };
        let agency_side = rung
            .audiences
            .iter()
            .any(|a| !matches!(a, Audience::Office | Audience::Leadership));
        let addressable = if agency_side {
            recipients.iter().any(|r| r.agency_id.is_some())
        } else {
            !recipients.is_empty()
        };
        let p = PlannedRung {
            task_id: t.id,
            plan_id: t.plan_id,
            rung,
            rung_key,
            matter,
            date,
            recipients,
            item,
        };
        if addressable {
            planned.push(p);
        } else {
            unaddressed.push(p);
        }
    }
    (planned, unaddressed)
}
