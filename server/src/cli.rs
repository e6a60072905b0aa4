//! The command line: `serve`, `migrate`, `admin create`, `audit verify`, `billing check`,
//! `config print-default`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ops_auth::users::{self, UserForCreate};
use ops_config::{Overrides, Settings};
use ops_db::Db;
use ops_types::Role;

#[derive(Parser, Debug)]
#[command(
    name = "ops-center",
    version,
    about = "Self-hosted control plane of an AI platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the server (migrates the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:3000.
        #[arg(long)]
        bind: Option<String>,
        /// Folder for the database and other state (default ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check the money ledger.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Inspect settings.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create a user (by default an administrator).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk the hash chain; exits non-zero and names the first broken link if any.
    Verify {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum BillingCommand {
    /// Recompute every balance from the ledger; exits non-zero and lists disagreements if any.
    Check {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print a documented example ops-center.toml.
    PrintDefault,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Config {
            command: ConfigCommand::PrintDefault,
        } => {
            print!("{}", Settings::example_toml());
            Ok(())
        }
        Command::Serve { bind, data_dir } => {
            let settings = load(Overrides { bind, data_dir })?;
            crate::startup::init_tracing(&settings.log);
            let app = crate::build(settings).await.map_err(|e| e.to_string())?;
            app.print_banner();
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate { data_dir } => {
            let settings = load(Overrides {
                data_dir,
                ..Overrides::default()
            })?;
            let db = connect(&settings).await?;
            println!(
                "migrations applied to {}",
                ops_config::redact_url(&settings.database_url)
            );
            db.close().await;
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { data_dir },
        } => {
            let db = open(data_dir).await?;
            let report = ops_auth::audit::verify_report(&db)
                .await
                .map_err(|e| e.to_string());
            db.close().await;
            let report = report?;
            if report.intact {
                println!("audit log intact: {} events checked", report.checked);
                Ok(())
            } else {
                Err(format!(
                    "audit log broken at seq {} (event {}): {}; {} events before it are intact",
                    report.broken_at_seq.unwrap_or_default(),
                    report.broken_id.as_deref().unwrap_or("none"),
                    report.reason.as_deref().unwrap_or(""),
                    report.checked
                ))
            }
        }
        Command::Billing {
            command: BillingCommand::Check { data_dir },
        } => {
            let db = open(data_dir).await?;
            let report = ops_billing::check::run(&db)
                .await
                .map_err(|e| e.to_string());
            db.close().await;
            let report = report?;
            let owed = report
                .liability
                .iter()
                .map(|l| {
                    format!(
                        "{} paid + {} granted",
                        ops_types::format_amount(l.paid, &l.currency),
                        ops_types::format_amount(l.granted, &l.currency)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            if report.problems.is_empty() {
                println!(
                    "ledger consistent: {} accounts, {} entries; held: {}",
                    report.accounts,
                    report.entries,
                    if owed.is_empty() {
                        "nothing".into()
                    } else {
                        owed
                    }
                );
                Ok(())
            } else {
                Err(format!(
                    "ledger inconsistent:\n{}",
                    report.problems.join("\n")
                ))
            }
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    password,
                    role,
                    name,
                    data_dir,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!(
                    "--role: `{role}` is not one of admin, moderator, developer, analyst, viewer"
                )
            })?;
            let settings = load(Overrides {
                data_dir,
                ..Overrides::default()
            })?;
            let db = connect(&settings).await?;
            let user = users::create_from_cli(
                &db,
                UserForCreate {
                    email,
                    display_name: name,
                    password: Some(password),
                    role,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
            db.close().await;
            Ok(())
        }
    }
}

fn load(overrides: Overrides) -> Result<Settings, String> {
    Settings::load(&overrides).map_err(|e| e.to_string())
}

/// The database of the data dir given (or the default one), migrated.
async fn open(data_dir: Option<PathBuf>) -> Result<Db, String> {
    let settings = load(Overrides {
        data_dir,
        ..Overrides::default()
    })?;
    connect(&settings).await
}

async fn connect(settings: &Settings) -> Result<Db, String> {
    let db = Db::connect(&settings.database_url, settings.database_max_connections)
        .await
        .map_err(|e| {
            format!(
                "database {}: {e}",
                ops_config::redact_url(&settings.database_url)
            )
        })?;
    db.migrate().await.map_err(|e| format!("migrations: {e}"))?;
    Ok(db)
}
