//! The `duban` command line: serve, migrate, seed, schema, user add, import.

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::app::{AppState, Clock};
use crate::auth::Actor;
use crate::config::Config;
use crate::db::Db;
use crate::domain::UserRole;
use crate::error::{AppError, AppResult};
use crate::services;

#[derive(Parser)]
#[command(
    name = "duban",
    version,
    about = "督办 — task assignment and accountability for implementation plans"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL API (migrates first; seeds demo data into an empty embedded database).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "DUBAN_ADDR")]
        addr: SocketAddr,
        /// Seconds between reminder sweeps (the outbox is drained every 30 s); 0 = no worker.
        #[arg(long, default_value_t = 3600, env = "DUBAN_REMIND_INTERVAL_SECS")]
        remind_every: u64,
    },
    /// Reminders and escalations: sweep and deliver the outbox (a worker without the API).
    Remind {
        /// One sweep, then deliver everything due, then exit.
        #[arg(long)]
        once: bool,
        /// Pretend today is this date (YYYY-MM-DD, 09:00 China time) or RFC 3339 instant.
        #[arg(long)]
        now: Option<String>,
        /// Seconds between sweeps when not --once.
        #[arg(long, default_value_t = 3600, env = "DUBAN_REMIND_INTERVAL_SECS")]
        every: u64,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load `seeds/`: the agency registry, the source plans, demo contacts and accounts, and
    /// (into a database without plans) a simulated year of activity on them (the demo world).
    Seed {
        /// Load the plans and accounts only: no simulated activity.
        #[arg(long)]
        without_activity: bool,
    },
    /// Print the GraphQL SDL.
    Schema,
    /// Import a plan document (.txt in UTF-8 or GBK, .docx, .xlsx, .csv).
    Import {
        file: std::path::PathBuf,
        /// Parse and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the parsed plan as one JSON object.
        #[arg(long)]
        json: bool,
        /// Print how long reading, parsing and storing took (to stderr).
        #[arg(long)]
        timings: bool,
        /// The importing office's region (`宜昌市`, `湖北省宜昌市`, `达州市大竹县`), used when the
        /// document names none (a task sheet without a title row) to qualify relative names.
        #[arg(long)]
        region: Option<String>,
        /// The plan's year (2000..=2100), used for dates without one (`6月底前`, `全年`) when the
        /// document states no year itself (a task sheet without a title row).
        #[arg(long, value_name = "YYYY")]
        plan_year: Option<i32>,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Annual evaluation (年度评估): compute a year, optionally publish, print the ranking.
    Evaluate {
        #[arg(long)]
        year: i32,
        /// Scheme name (default agency-performance).
        #[arg(long)]
        scheme: Option<String>,
        /// Publish after computing (results then never change).
        #[arg(long)]
        publish: bool,
        /// table | csv | json | xlsx (xlsx needs --output)
        #[arg(long, default_value = "table")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// The ledger (督办台账): the tasks of a plan, an agency or all plans as .xlsx or CSV.
    Ledger {
        /// Only this plan's tasks (its id).
        #[arg(long)]
        plan: Option<String>,
        /// Only the tasks this agency is assigned to (its id), in any role.
        #[arg(long)]
        agency: Option<String>,
        /// xlsx (one sheet per plan) | csv (UTF-8 with BOM)
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        output: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        /// The agency's canonical name or an alias (required for --role agency).
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "duban=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let detail = match &e {
                AppError::Internal(cause) => format!("{e}: {cause}"),
                other => other.to_string(),
            };
            eprintln!("error [{}]: {detail}", e.code());
            ExitCode::FAILURE
        }
    }
}

async fn connect() -> AppResult<(Config, Db)> {
    let config = Config::from_env()?;
    tracing::debug!(?config, "configuration");
    let db = Db::connect_with(&config.database_url, config.db_max_connections).await?;
    Ok((config, db))
}

async fn run(cli: Cli) -> AppResult<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Seed { without_activity } => {
            let (config, db) = connect().await?;
            db.migrate().await?;
            if without_activity {
                eprintln!("{}", seed_all(&db).await?);
            } else {
                let (summary, activity) = seed_demo_world(&db, &config.public_url).await?;
                eprintln!("{summary}");
                eprintln!("{}", activity?);
            }
            Ok(())
        }
        Command::Remind { once, now, every } => {
            let (config, db) = connect().await?;
            db.migrate().await?;
            let mailer = crate::notify::mailer::from_config(&config)?;
            let mut state = AppState::new(db, config);
            if let Some(now) = now {
                let at = crate::domain::time::parse_instant(&now)?;
                state.clock = Clock::fixed(at);
            }
            if once {
                let (swept, delivered) =
                    crate::notify::worker::remind_once(&state, mailer, state.now()).await?;
                eprintln!(
                    "{}: {} tasks considered, {} supervision records, {} mails enqueued; \
                     delivered {} (sent {}, retrying {}, failed {})",
                    swept.today.map(|d| d.to_string()).unwrap_or_default(),
                    swept.tasks_considered,
                    swept.recorded,
                    swept.mails,
                    delivered.claimed,
                    delivered.sent,
                    delivered.retrying,
                    delivered.failed
                );
            } else {
                crate::notify::worker::run(
                    state,
                    mailer,
                    std::time::Duration::from_secs(every.max(1)),
                    std::time::Duration::from_secs(30),
                    crate::server::shutdown_signal(),
                )
                .await;
            }
            Ok(())
        }
        Command::Serve { addr, remind_every } => {
            let (config, db) = connect().await?;
            db.migrate().await?;
            if config.database_url.starts_with("sqlite:")
                && services::seed::is_empty(&db.conn).await?
            {
                eprintln!("empty embedded database: loading demo data");
                let (summary, activity) = seed_demo_world(&db, &config.public_url).await?;
                eprintln!("{summary}");
                // The plans and accounts are in: a failed simulation does not stop the server.
                match activity {
                    Ok(a) => eprintln!("{a}"),
                    Err(e) => {
                        tracing::error!(error = %e, "the demo activity could not be simulated")
                    }
                }
            }
            let mailer = crate::notify::mailer::from_config(&config)?;
            let state = AppState::new(db, config);
            // The worker stops on the same signal as the server; the server drains first.
            let worker = (remind_every > 0).then(|| {
                tokio::spawn(crate::notify::worker::run(
                    state.clone(),
                    mailer,
                    std::time::Duration::from_secs(remind_every),
                    std::time::Duration::from_secs(30),
                    crate::server::shutdown_signal(),
                ))
            });
            let served = crate::server::serve(state, addr)
                .await
                .map_err(AppError::internal);
            if let Some(w) = worker {
                let _ = w.await;
            }
            served
        }
        Command::Evaluate {
            year,
            scheme,
            publish,
            format,
            output,
        } => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            evaluate(
                &db,
                year,
                scheme.as_deref(),
                publish,
                &format,
                output.as_deref(),
                Clock::system().now(),
            )
            .await
        }
        Command::Ledger {
            plan,
            agency,
            format,
            output,
        } => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            let rows = ledger(
                &db,
                plan.as_deref(),
                agency.as_deref(),
                &format,
                &output,
                Clock::system().today(),
            )
            .await?;
            eprintln!("wrote {rows} tasks to {}", output.display());
            Ok(())
        }
        Command::Import {
            file,
            dry_run,
            json,
            timings,
            region,
            plan_year,
        } => {
            // Checked before the database is opened: a refused year creates nothing.
            let options = services::import::options(region, plan_year)?;
            import_file(&file, dry_run, json, timings, &options).await
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    agency,
                    display_name,
                    email,
                },
        } => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            let role = UserRole::parse(&role)?;
            let agency_id = match agency {
                Some(name) => Some(
                    services::agencies::find_by_name(&db.conn, &name)
                        .await?
                        .ok_or_else(|| AppError::NotFound(format!("agency {name:?} not found")))?
                        .id,
                ),
                None => None,
            };
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| {
                    AppError::invalid(format!("cannot read the password from stdin: {e}"))
                })?;
            let password = password.trim_end_matches(['\r', '\n']);
            let now = Clock::system().now();
            let tx = db.write().await?;
            let input = services::users::UserInput {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                email,
                role,
                agency_id,
            };
            let user = services::users::create(&*tx, Actor::System, input, password, now).await?;
            tx.commit().await?;
            eprintln!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
            Ok(())
        }
    }
}

/// `duban import`: parse against the database's registry (seeded from `seeds/agencies.json`
/// when empty), print a summary or JSON, and store unless `--dry-run`.
async fn import_file(
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
    timings: bool,
    options: &duban_import::ParseOptions,
) -> AppResult<()> {
    let started = std::time::Instant::now();
    let bytes = std::fs::read(file)
        .map_err(|e| AppError::invalid(format!("cannot read {}: {e}", file.display())))?;
    let (_, db) = connect().await?;
    db.migrate().await?;
    if entity::agency::Entity::find().count(&db.conn).await? == 0 {
        let tx = db.write().await?;
        services::seed::load_registry(&*tx, &services::seed::seeds_dir(), Clock::system().now())
            .await?;
        tx.commit().await?;
    }
    let registry = services::import::registry(&db.conn).await?;
    let read = started.elapsed();
    let parse_start = std::time::Instant::now();
    let parsed = services::import::parse(&bytes, &registry, options)?;
    let parse_time = parse_start.elapsed();
    // The same document imported before (by its fingerprint): said in both outputs.
    let duplicate = services::import::duplicate_of(&db.conn, &parsed).await?;
    if json {
        let mut out = parsed.to_cli_json();
        if let Some(obj) = out.as_object_mut() {
            obj.insert(
                "duplicate_of".into(),
                duplicate
                    .as_ref()
                    .map_or(serde_json::Value::Null, |p| serde_json::json!(p.id)),
            );
        }
        println!("{out}");
    } else {
        if let Some(p) = &duplicate {
            println!("already imported as plan {} ({})", p.id, p.title);
        }
        let tasks = parsed
            .tasks
            .iter()
            .filter(|t| t.kind != duban_import::TaskKind::Heading)
            .count();
        println!(
            "{} ({})",
            parsed.title,
            parsed.document_number.as_deref().unwrap_or("无文号")
        );
        println!(
            "  {} outline entries, {} tasks, {} targets, {} warnings",
            parsed.tasks.len(),
            tasks,
            parsed.targets.len(),
            parsed.warnings.len()
        );
        for w in parsed.warnings.iter().take(20) {
            println!(
                "  [{}] {}{}",
                w.code,
                w.task_code
                    .as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default(),
                w.message
            );
        }
    }
    let store_start = std::time::Instant::now();
    if !dry_run {
        let tx = db.write().await?;
        let s =
            services::import::store(&*tx, Actor::System, &parsed, Clock::system().now()).await?;
        tx.commit().await?;
        eprintln!(
            "stored plan {} with {} tasks, {} assignments, {} targets ({} new unconfirmed agencies)",
            s.plan.id, s.tasks, s.assignments, s.targets, s.new_agencies
        );
    }
    if timings {
        eprintln!(
            "timings: read+registry {read:?}, parse {parse_time:?}, store {:?}",
            store_start.elapsed()
        );
    }
    Ok(())
}

/// `duban evaluate`: settles the year ([`services::evaluation::settle_year`]) and renders the
/// results as a table, CSV or JSON to `output` or stdout, or as an .xlsx workbook to `output`.
/// A CSV written to a file starts with a UTF-8 byte order mark, so that Excel shows the
/// Chinese names (stdout gets none, for pipes).
///
/// # Errors
/// INVALID_INPUT for an unknown format, xlsx without `output`, or bad inputs; those of
/// [`services::evaluation::settle_year`].
pub async fn evaluate(
    db: &Db,
    year: i32,
    scheme: Option<&str>,
    publish_it: bool,
    format: &str,
    output: Option<&std::path::Path>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    use crate::evaluation::report::{self, Format};
    let format = Format::parse(format).map_err(AppError::invalid)?;
    let (scheme_model, eval, rows) =
        services::evaluation::settle_year(db, year, scheme, publish_it, now).await?;
    let text = match format {
        // A workbook is binary: it goes to a file, never to the terminal.
        Format::Xlsx => {
            let Some(path) = output else {
                return Err(AppError::invalid(
                    "--format xlsx writes a file: give --output FILE.xlsx",
                ));
            };
            let bytes = report::xlsx(&format!("{year}"), &rows).map_err(AppError::internal)?;
            return std::fs::write(path, bytes)
                .map_err(|e| AppError::invalid(format!("cannot write {}: {e}", path.display())));
        }
        Format::Table => report::table(
            &format!(
                "{} — {year} (revision {}, {})",
                scheme_model.title, eval.revision, eval.status
            ),
            &rows,
        ),
        Format::Csv => report::csv(&rows),
        Format::Json => report::json(&rows),
    };
    match output {
        Some(path) if format == Format::Csv => std::fs::write(path, format!("\u{feff}{text}"))
            .map_err(|e| AppError::invalid(format!("cannot write {}: {e}", path.display())))?,
        Some(path) => std::fs::write(path, text)
            .map_err(|e| AppError::invalid(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// `duban ledger`: writes the ledger of a plan, an agency or everything (judged on `today`)
/// to `output`, through a temporary file beside it so that a failed export leaves no half
/// file; returns the number of tasks written.
///
/// # Errors
/// INVALID_INPUT for a malformed id or format or an unwritable path; NOT_FOUND for an unknown
/// plan or agency; INTERNAL on database errors.
pub async fn ledger(
    db: &Db,
    plan: Option<&str>,
    agency: Option<&str>,
    format: &str,
    output: &std::path::Path,
    today: chrono::NaiveDate,
) -> AppResult<u64> {
    use services::ledger::{self, CsvLedger, LedgerFormat, XlsxLedger};
    let format = LedgerFormat::parse(format)?;
    let filter = services::tasks::TaskFilter {
        plan_id: plan.map(|p| services::parse_id("plan", p)).transpose()?,
        agency_id: agency
            .map(|a| services::parse_id("agency", a))
            .transpose()?,
        ..Default::default()
    };
    let cannot =
        |e: std::io::Error| AppError::invalid(format!("cannot write {}: {e}", output.display()));
    let dir = output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
    let file = std::io::BufWriter::new(tmp.reopen().map_err(cannot)?);
    let rows = match format {
        LedgerFormat::Xlsx => {
            let mut sink = XlsxLedger::new(None)?;
            let rows = ledger::export(&db.conn, &filter, today, &mut sink).await?;
            sink.finish(file)?;
            rows
        }
        LedgerFormat::Csv => {
            let mut sink = CsvLedger::new(file)?;
            let rows = ledger::export(&db.conn, &filter, today, &mut sink).await?;
            std::io::Write::flush(&mut sink.finish()?).map_err(cannot)?;
            rows
        }
    };
    tmp.persist(output).map_err(|e| cannot(e.error))?;
    Ok(rows)
}

/// Seeds the registry, the plans and the demo people in one transaction, dated now, with no
/// activity (`duban seed --without-activity`; what most tests use); returns a one-line summary.
pub async fn seed_all(db: &Db) -> AppResult<String> {
    Ok(seed_at(db, Clock::system().now()).await?.0)
}

/// Returns the summary and the number of plans there were before.
async fn seed_at(db: &Db, now: chrono::DateTime<chrono::Utc>) -> AppResult<(String, u64)> {
    let dir = services::seed::seeds_dir();
    let tx = db.write().await?;
    let before = entity::plan::Entity::find().count(&*tx).await?;
    let agencies = services::seed::load_registry(&*tx, &dir, now).await?;
    let plans = services::seed::load_plans(&*tx, &dir, now).await?;
    services::seed::demo_people(&*tx, now).await?;
    tx.commit().await?;
    Ok((
        format!(
            "seeded {agencies} agencies and {plans} plans from {}",
            dir.display()
        ),
        before,
    ))
}

/// The demo world (`duban seed`, the first `duban serve`): seeds as of the first simulated
/// day (2 January 2025) and, when the database had no plans before, simulates 2025 on the
/// seeded plans ([`crate::demo`]). Returns the seeding summary and the simulation's outcome
/// (a line saying what it did, or why it was skipped, or its error).
///
/// # Errors
/// Those of seeding (the simulation's own error is in the second value).
pub async fn seed_demo_world(db: &Db, public_url: &str) -> AppResult<(String, AppResult<String>)> {
    let start = crate::demo::china_instant(crate::demo::script::start_day(), 9, 0);
    let (summary, before) = seed_at(db, start).await?;
    if before > 0 {
        return Ok((
            summary,
            Ok("demo activity skipped: the database already had plans".into()),
        ));
    }
    let plans: Vec<i64> = entity::plan::Entity::find()
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let activity = crate::demo::simulate(db, &plans, public_url)
        .await
        .map(|s| s.to_string());
    Ok((summary, activity))
}
