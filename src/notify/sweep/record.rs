//! Recording a sweep, in one write transaction, one batch of tasks at a time: the
//! supervision records (exactly once per rung, in bounded multi-row inserts), their document
//! numbers and documents, the digest lines ([`super::digest`]); then one digest mail per
//! recipient in the outbox and the sweep's audit event.

#[allow(clippy::wildcard_imports)]
use super::*;
use entity::supervision_document;
use sea_orm::{ActiveValue::Set, EntityTrait};

/// Runs a sweep at `now`: decides, records and enqueues in one write transaction.
/// `dry_run` only decides. The mails are due from `deliver_from`, a wall-clock instant (see
/// [`super::outbox`]): a sweep at a business date in the future (`duban remind --once --now`)
/// must not hold its mails back until then.
///
/// # Errors
/// INTERNAL on database errors; nothing is written then.
pub async fn run(
    db: &Db,
    now: DateTime<Utc>,
    deliver_from: DateTime<Utc>,
    dry_run: bool,
    actor: crate::auth::Actor<'_>,
    public_url: &str,
) -> AppResult<SweepReport> {
    // A real sweep's duration is a metric (the demo world's simulated ones are not).
    let started = std::time::Instant::now();
    let report = run_as(
        db,
        now,
        deliver_from,
        dry_run,
        actor,
        public_url,
        None,
        BATCH,
    )
    .await;
    if report.is_ok() && !dry_run {
        crate::metrics::observe_sweep(started.elapsed());
    }
    report
}

/// A sweep of the demo world's simulated past (see `crate::demo`): recorded like any other,
/// but under the given sweep id (so that the demo database is the same on every run: the id
/// is also in the records' Message-IDs) and with its mails stored as
/// [`DeliveryState::Demo`], which no worker ever claims — the simulation's mail never goes out.
///
/// # Errors
/// As [`run`].
pub async fn run_demo(
    db: &Db,
    now: DateTime<Utc>,
    public_url: &str,
    sweep_id: &str,
) -> AppResult<SweepReport> {
    run_as(
        db,
        now,
        now,
        false,
        crate::auth::Actor::System,
        public_url,
        Some(sweep_id),
        BATCH,
    )
    .await
}

/// [`run`] (a real run) with batches of `batch` tasks: for tests, which show that the batch
/// size changes nothing of what is recorded and mailed.
///
/// # Errors
/// As [`run`].
#[doc(hidden)]
pub async fn run_in_batches(
    db: &Db,
    now: DateTime<Utc>,
    actor: crate::auth::Actor<'_>,
    public_url: &str,
    batch: usize,
) -> AppResult<SweepReport> {
    run_as(db, now, now, false, actor, public_url, None, batch).await
}

#[allow(clippy::too_many_arguments)]
async fn run_as(
    db: &Db,
    now: DateTime<Utc>,
    deliver_from: DateTime<Utc>,
    dry_run: bool,
    actor: crate::auth::Actor<'_>,
    public_url: &str,
    demo_sweep_id: Option<&str>,
    batch: usize,
) -> AppResult<SweepReport> {
    if dry_run {
        return plan_in_batches(&db.conn, now, batch).await;
    }
    let tx = db.write().await?;
    if tx.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // One sweep at a time across replicas (released at commit or rollback).
        tx.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            vec![SWEEP_LOCK.into()],
        ))
        .await?;
    }
    let today = china_day(now);
    let sweep_id = if let Some(id) = demo_sweep_id {
        id.to_owned()
    } else {
        use rand::RngCore;
        let mut b = [0u8; 8];
        rand::rng().fill_bytes(&mut b);
        format!("{}-{}", today.format("%Y%m%d"), hex::encode(b))
    };
    let mut report = SweepReport {
        today: Some(today),
        sweep_id: sweep_id.clone(),
        ..SweepReport::default()
    };
    // Batch by batch: decide, record, number, store the documents and stage the digest
    // lines; only the batch, the sample and the recipients are held from one to the next.
    let mut batches = Batches::start(&*tx, today, batch).await?;
    let mut digests = digest::Digests::new(&sweep_id);
    while let Some(decided) = batches.next(&*tx).await? {
        report.tasks_considered += decided.considered;
        for p in decided.unaddressed {
            report.keep_unaddressed(p);
        }
        if decided.planned.is_empty() {
            continue;
        }
        digests.stage(&*tx).await?;
        let recorded = record_batch(&*tx, decided.planned, &mut digests, today, now).await?;
        report.recorded += recorded.len();
        for p in recorded {
            report.keep_due(p);
        }
    }
    if report.unaddressed_total > 0 {
        tracing::warn!(
            count = report.unaddressed_total,
            "reminder rungs held: nobody addressable (add contacts with email addresses)"
        );
    }
    if report.recorded == 0 {
        digests.unstage(&*tx).await?;
        // The worker's idle sweeps are not worth an audit row each; the office's
        // `runReminders` is a mutation and is audited whatever it found.
        if actor.user().is_some() {
            audit_sweep(&*tx, actor, &report, today, now).await?;
        }
        tx.commit().await?;
        return Ok(report);
    }
    // Live updates: one event per record this sweep wrote, in the same transaction.
    crate::services::events::supervision_records_created(&*tx, &sweep_id, now).await?;
    let state = if demo_sweep_id.is_some() {
        DeliveryState::Demo
    } else {
        DeliveryState::Pending
    };
    report.mails = digests
        .enqueue(&*tx, today, public_url, state, deliver_from, now)
        .await?;
    digests.unstage(&*tx).await?;
    audit_sweep(&*tx, actor, &report, today, now).await?;
    tx.commit().await?;
    Ok(report)
}

/// Records one batch's rungs `planned` (skipping any another sweep recorded meanwhile),
/// numbers and stores their documents and stages their digest lines; returns the rungs
/// recorded, in (task, key) order, with their document numbers.
async fn record_batch(
    tx: &impl ConnectionTrait,
    mut planned: Vec<PlannedRung>,
    digests: &mut digest::Digests,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<PlannedRung>> {
    let backend = tx.get_database_backend();
    // 1. Records. Batches come in task order and each is sorted here, so document numbers
    // and digest lines follow (task, key) order across the whole sweep.
    planned.sort_by(|a, b| (a.task_id, &a.rung.dedupe_key).cmp(&(b.task_id, &b.rung.dedupe_key)));
    let mut ours: HashMap<String, i64> = HashMap::with_capacity(planned.len());
    for chunk in planned.chunks(RECORDS_PER_INSERT) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 13);
        for p in chunk {
            let mids: Vec<String> = p.recipients.iter().map(|r| digests.message_id(r)).collect();
            values.extend([
                p.task_id.into(),
                p.rung.level.as_str().into(),
                p.rung_key.clone().into(),
                i32::try_from(p.rung.rung_index).unwrap_or(0).into(),
                i32::try_from(p.rung.occurrence).unwrap_or(0).into(),
                p.rung.trigger_key.clone().into(),
                matter_str(&p.matter).into(),
                p.rung.due_on.into(),
                p.rung.dedupe_key.clone().into(),
                serde_json::to_value(&p.recipients)
                    .unwrap_or_default()
                    .into(),
                serde_json::to_value(&mids).unwrap_or_default().into(),
                digests.sweep_id().to_owned().into(),
                now.into(),
            ]);
        }
        let rows = vec![format!("({})", placeholders(13)); chunk.len()].join(", ");
        let inserted: Vec<IdKeyRow> = query_all(
            tx,
            &format!(
                "INSERT INTO supervision_record (task_id, level, rung_key, rung_index, occurrence, \
                 trigger_key, matter, due_on, dedupe_key, recipients, message_ids, sweep_id, fired_at) \
                 VALUES {rows} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
            ),
            values,
        )
        .await?;
        ours.extend(inserted.into_iter().map(|r| (r.dedupe_key, r.id)));
    }
    planned.retain(|p| ours.contains_key(&p.rung.dedupe_key));

    // 2. Document numbers for 督办/通报/约谈, from the per-year sequence, in task order.
    for level in Level::ALL.into_iter().filter(|l| l.is_numbered_document()) {
        let idx: Vec<usize> = (0..planned.len())
            .filter(|&i| planned[i].rung.level == level)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let count = u32::try_from(idx.len()).unwrap_or(u32::MAX);
        let first = store::reserve_doc_numbers(tx, level, today.year(), count).await?;
        for (n, &i) in idx.iter().enumerate() {
            let number = format_doc_number(level, today.year(), first + n as u32);
            planned[i].item.doc_number = Some(number);
        }
        for chunk in idx.chunks(CHUNK / 2) {
            let mut values: Vec<Value> = Vec::new();
            let mut cases = String::new();
            for &i in chunk {
                cases.push_str(" WHEN ? THEN ?");
                values.push(ours[&planned[i].rung.dedupe_key].into());
                values.push(planned[i].item.doc_number.clone().into());
            }
            for &i in chunk {
                values.push(ours[&planned[i].rung.dedupe_key].into());
            }
            tx.execute_raw(sql(
                backend,
                &format!(
                    "UPDATE supervision_record SET doc_number = CASE id{cases} END WHERE id IN ({})",
                    placeholders(chunk.len())
                ),
                values,
            ))
            .await?;
        }
    }

    // 3. The Word document of every numbered notice, stored with its record (a download
    // returns what was mailed) and attached to the digests.
    let documented = store_documents(tx, &planned, &ours, today, now).await?;
    // 4. The digest lines, assembled per recipient once every batch is recorded.
    digests.add(tx, &planned, &ours, &documented).await?;
    Ok(planned)
}

/// Renders and stores the .docx of every numbered record in `due` (ids in `ours`); returns
/// the ids of the records that got one.
async fn store_documents(
    db: &impl ConnectionTrait,
    due: &[PlannedRung],
    ours: &HashMap<String, i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<HashSet<i64>> {
    use crate::notify::documents::{REPLY_WORKING_DAYS, for_rung};
    use crate::notify::notice_doc::{DOCX_MEDIA_TYPE, file_name, render_docx};
    let numbered: Vec<&PlannedRung> = due.iter().filter(|p| p.item.doc_number.is_some()).collect();
    let mut done = HashSet::new();
    if numbered.is_empty() {
        return Ok(done);
    }
    let cal = crate::services::calendar::load_calendar(db).await?;
    let reply_by = cal.add_working_days(today, REPLY_WORKING_DAYS);
    // A document is some kilobytes: a few dozen per statement.
    for chunk in numbered.chunks(50) {
        let mut rows = Vec::with_capacity(chunk.len());
        for p in chunk {
            let (Some(number), Some(&record_id)) =
                (p.item.doc_number.as_deref(), ours.get(&p.rung.dedupe_key))
            else {
                continue;
            };
            let (doc, addressees) = for_rung(p, number, today, reply_by);
            let bytes = render_docx(&doc).map_err(crate::error::AppError::internal)?;
            rows.push(supervision_document::ActiveModel {
                record_id: Set(record_id),
                file_name: Set(file_name(number)),
                media_type: Set(DOCX_MEDIA_TYPE.to_owned()),
                size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                sha256: Set(hex::encode(Sha256::digest(&bytes))),
                content: Set(bytes),
                addressee_agency_ids: Set(serde_json::json!(addressees)),
                created_at: Set(now),
                ..Default::default()
            });
            done.insert(record_id);
        }
        if !rows.is_empty() {
            supervision_document::Entity::insert_many(rows)
                .exec(db)
                .await?;
        }
    }
    Ok(done)
}

/// Key of the PostgreSQL advisory lock a sweep holds (any constant unlikely to collide).
pub const SWEEP_LOCK: i64 = 0x6475_6261_6e5f_7377; // "duban_sw"

async fn audit_sweep(
    db: &impl ConnectionTrait,
    actor: crate::auth::Actor<'_>,
    report: &SweepReport,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // The first held rungs and their number (a first sweep can hold thousands).
    let unaddressed: Vec<&str> = report
        .unaddressed
        .iter()
        .map(|p| p.rung.dedupe_key.as_str())
        .collect();
    audit::record(
        db,
        actor,
        Change {
            action: AuditAction::RemindersSweep,
            entity: "supervision_sweep",
            entity_id: 0,
            before: None,
            after: Some(serde_json::json!({
                "sweep_id": report.sweep_id, "today": today, "records": report.recorded,
                "mails": report.mails, "unaddressed": unaddressed,
                "unaddressed_total": report.unaddressed_total,
            })),
        },
        now,
    )
    .await?;
    Ok(())
}

fn matter_str(m: &Matter) -> &'static str {
    match m {
        Matter::Deadline => "deadline",
        Matter::Report { .. } => "report",
        Matter::Verification => "verification",
    }
}
