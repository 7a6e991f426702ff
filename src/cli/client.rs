//! `ferrid client add|list|show|update|rotate-secret|delete`: the console's application
//! operations (`oauth::registration`), from the command line.
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{open_pool, CliError};
use crate::config::Settings;
use crate::oauth::registration::{
    as_request, build_client, delete_client, find_client, rotate_secret as rotate,
    store_new_client, update_client, NewClientRequest, RegistrationError,
};
use crate::store::audit::Actor;
use crate::store::clients::{self, Client};
use crate::store::StoreError;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and, for a confidential client, its secret
    /// (shown once only).
    Add(AddArgs),
    /// Every registered client (never a secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// One client's registration (never its secret).
    Show {
        // A client_id may begin with "-" (random ids are base64url).
        #[arg(long, allow_hyphen_values = true)]
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a client's registration: each option given replaces that setting (a
    /// repeatable option replaces the whole list); the type and the secret stay.
    Update(UpdateArgs),
    /// Give a confidential client a new secret, printed once; the old one stops working.
    RotateSecret {
        // A client_id may begin with "-" (random ids are base64url).
        #[arg(long, allow_hyphen_values = true)]
        client_id: String,
        /// Print {"client_id": ..., "client_secret": ...} only.
        #[arg(long)]
        json: bool,
    },
    /// Delete a client and everything it was granted (consents, codes, refresh tokens).
    Delete {
        // A client_id may begin with "-" (random ids are base64url).
        #[arg(long, allow_hyphen_values = true)]
        client_id: String,
    },
}

#[derive(Args)]
pub struct UpdateArgs {
    // A client_id may begin with "-" (random ids are base64url).
    #[arg(long, allow_hyphen_values = true)]
    client_id: String,
    #[arg(long)]
    name: Option<String>,
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// Remove every post-logout redirect URI.
    #[arg(long, conflicts_with = "post_logout_redirect_uris")]
    clear_post_logout_redirect_uris: bool,
    #[arg(
        long = "grant",
        value_name = "GRANT",
        value_parser = ["authorization_code", "refresh_token", "client_credentials"]
    )]
    grants: Vec<String>,
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    #[arg(long, value_name = "METHOD", value_parser = ["client_secret_basic", "client_secret_post"])]
    auth_method: Option<String>,
    #[arg(long, value_name = "ALG", value_parser = ["RS256", "ES256"])]
    id_token_alg: Option<String>,
    #[arg(long, value_name = "BOOL")]
    skip_consent: Option<bool>,
    #[arg(long, value_name = "BOOL")]
    require_pkce: Option<bool>,
}

#[derive(Args)]
pub struct AddArgs {
    #[arg(long)]
    name: String,
    /// An exact redirect URI (repeat for several); required for authorization_code.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// A client that cannot keep a secret (native or browser app): no secret, PKCE only.
    #[arg(long)]
    public: bool,
    /// Allowed grant types (repeatable; default authorization_code and refresh_token).
    #[arg(
        long = "grant",
        value_name = "GRANT",
        value_parser = ["authorization_code", "refresh_token", "client_credentials"]
    )]
    grants: Vec<String>,
    /// Allowed scopes (repeatable, or space-separated; default
    /// "openid profile email address phone offline_access").
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// Where /logout may send the user afterwards (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// How a confidential client authenticates at the token endpoint
    /// (default client_secret_basic).
    #[arg(
        long,
        value_name = "METHOD",
        value_parser = ["client_secret_basic", "client_secret_post"],
        conflicts_with = "public"
    )]
    auth_method: Option<String>,
    /// The algorithm of this client's ID tokens (default RS256).
    #[arg(long, value_name = "ALG", value_parser = ["RS256", "ES256"])]
    id_token_alg: Option<String>,
    /// A first-party app: do not ask the user for consent.
    #[arg(long)]
    skip_consent: bool,
    /// Require PKCE (S256) of this confidential client too (always on for public clients).
    #[arg(long)]
    require_pkce: bool,
    /// Print {"client_id": ..., "client_secret": ...} only.
    #[arg(long)]
    json: bool,
}

pub fn run(settings: &Settings, command: ClientCommand, now: i64) -> Result<(), CliError> {
    match command {
        ClientCommand::Add(args) => add(settings, args, now),
        ClientCommand::List { json } => list(settings, json),
        ClientCommand::Show { client_id, json } => show(settings, &client_id, json),
        ClientCommand::Update(args) => update(settings, args, now),
        ClientCommand::RotateSecret { client_id, json } => {
            rotate_secret(settings, &client_id, json, now)
        }
        ClientCommand::Delete { client_id } => delete(settings, &client_id, now),
    }
}

#[derive(Serialize)]
struct Created<'a> {
    client_id: &'a str,
    client_secret: Option<&'a str>,
}

fn add(settings: &Settings, args: AddArgs, now: i64) -> Result<(), CliError> {
    let request = NewClientRequest {
        name: args.name,
        redirect_uris: args.redirect_uris,
        public: args.public,
        grants: args.grants,
        scopes: args.scopes,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        auth_method: args.auth_method,
        id_token_alg: args.id_token_alg,
        skip_consent: args.skip_consent,
        require_pkce: args.require_pkce,
    };
    // `register_client` in two steps, so bad input is refused before the database is even
    // opened (or, for SQLite, created).
    let (client, secret) = build_client(&request, now).map_err(registration_error)?;
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    store_new_client(&mut conn, &client, Actor::CLI, now).map_err(registration_error)?;
    let secret = secret.as_ref().map(|s| s.as_str());
    if args.json {
        let created = Created {
            client_id: client.client_id.as_str(),
            client_secret: secret,
        };
        println!(
            "{}",
            serde_json::to_string(&created).expect("two strings serialize")
        );
        return Ok(());
    }
    let kind = if client.client_type.is_public() {
        "public"
    } else {
        "confidential"
    };
    println!("registered {kind} client \"{}\"", client.name);
    println!("client_id:     {}", client.client_id);
    if let Some(secret) = secret {
        println!("client_secret: {secret}");
        println!();
        println!(
            "Store the client secret now: it will not be shown again (Ferrid keeps only its hash)."
        );
    }
    Ok(())
}

fn registration_error(e: RegistrationError) -> CliError {
    match e {
        RegistrationError::Invalid(message) => CliError::Usage(message),
        RegistrationError::NotFound => {
            CliError::Failed("no client has this client_id (see ferrid client list)".into())
        }
        RegistrationError::Store(e) => e.into(),
    }
}

/// RFC 7591 §2 client metadata names, plus Ferrid's own `public`, `skip_consent`,
/// `require_pkce` and `created_at`. No secret and no hash.
#[derive(Serialize)]
struct Listed<'a> {
    client_id: &'a str,
    client_name: &'a str,
    public: bool,
    token_endpoint_auth_method: &'a str,
    redirect_uris: Vec<&'a str>,
    post_logout_redirect_uris: Vec<&'a str>,
    grant_types: Vec<&'a str>,
    scope: String,
    id_token_signed_response_alg: &'a str,
    skip_consent: bool,
    require_pkce: bool,
    created_at: i64,
}

impl<'a> From<&'a Client> for Listed<'a> {
    fn from(c: &'a Client) -> Self {
        Listed {
            client_id: c.client_id.as_str(),
            client_name: &c.name,
            public: c.client_type.is_public(),
            token_endpoint_auth_method: c.client_type.token_endpoint_auth_method(),
            redirect_uris: c.redirect_uris.iter().map(|u| u.as_str()).collect(),
            post_logout_redirect_uris: c
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str())
                .collect(),
            grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
            scope: c.scopes.to_string(),
            id_token_signed_response_alg: c.id_token_alg.as_str(),
            skip_consent: c.skip_consent,
            require_pkce: c.requires_pkce(),
            created_at: c.created_at,
        }
    }
}

fn list(settings: &Settings, json: bool) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let all = clients::list(&mut conn)?;
    if json {
        let rows: Vec<Listed<'_>> = all.iter().map(Listed::from).collect();
        println!(
            "{}",
            serde_json::to_string(&rows).expect("client metadata serializes")
        );
        return Ok(());
    }
    if all.is_empty() {
        println!("no clients registered");
        return Ok(());
    }
    println!(
        "{:<24} {:<13} {:<20} {:<24} REDIRECT URIS",
        "CLIENT ID", "TYPE", "AUTH METHOD", "NAME"
    );
    for c in &all {
        let uris: Vec<&str> = c.redirect_uris.iter().map(|u| u.as_str()).collect();
        println!(
            "{:<24} {:<13} {:<20} {:<24} {}",
            c.client_id,
            if c.client_type.is_public() {
                "public"
            } else {
                "confidential"
            },
            c.client_type.token_endpoint_auth_method(),
            c.name,
            uris.join(" ")
        );
    }
    Ok(())
}

fn show(settings: &Settings, client_id: &str, json: bool) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let client = find_client(&mut conn, client_id).map_err(registration_error)?;
    let listed = Listed::from(&client);
    if json {
        println!(
            "{}",
            serde_json::to_string(&listed).expect("client metadata serializes")
        );
        return Ok(());
    }
    let list = |v: &[&str]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(" ")
        }
    };
    println!("client_id:                  {}", listed.client_id);
    println!("name:                       {}", listed.client_name);
    println!(
        "type:                       {}",
        if listed.public {
            "public"
        } else {
            "confidential"
        }
    );
    println!(
        "auth method:                {}",
        listed.token_endpoint_auth_method
    );
    println!(
        "redirect URIs:              {}",
        list(&listed.redirect_uris)
    );
    println!(
        "post-logout redirect URIs:  {}",
        list(&listed.post_logout_redirect_uris)
    );
    println!("grant types:                {}", list(&listed.grant_types));
    println!("scope:                      {}", listed.scope);
    println!(
        "ID token alg:               {}",
        listed.id_token_signed_response_alg
    );
    println!("skip consent:               {}", listed.skip_consent);
    println!("require PKCE:               {}", listed.require_pkce);
    println!(
        "created:                    {}",
        crate::domain::utc::format(listed.created_at)
    );
    Ok(())
}

fn update(settings: &Settings, args: UpdateArgs, now: i64) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let client = find_client(&mut conn, &args.client_id).map_err(registration_error)?;
    let mut request = as_request(&client);
    let replace = |list: &mut Vec<String>, given: Vec<String>| {
        if !given.is_empty() {
            *list = given;
        }
    };
    if let Some(name) = args.name {
        request.name = name;
    }
    replace(&mut request.redirect_uris, args.redirect_uris);
    replace(
        &mut request.post_logout_redirect_uris,
        args.post_logout_redirect_uris,
    );
    if args.clear_post_logout_redirect_uris {
        request.post_logout_redirect_uris.clear();
    }
    replace(&mut request.grants, args.grants);
    replace(&mut request.scopes, args.scopes);
    if args.auth_method.is_some() {
        if client.client_type.is_public() {
            return Err(CliError::Usage(
                "a public client has no secret: its auth method stays 'none'".into(),
            ));
        }
        request.auth_method = args.auth_method;
    }
    if args.id_token_alg.is_some() {
        request.id_token_alg = args.id_token_alg;
    }
    if let Some(skip) = args.skip_consent {
        request.skip_consent = skip;
    }
    if let Some(require) = args.require_pkce {
        request.require_pkce = require;
    }
    let updated = update_client(&mut conn, &client.client_id, &request, Actor::CLI, now)
        .map_err(registration_error)?;
    println!(
        "updated client \"{}\" ({})",
        updated.name, updated.client_id
    );
    Ok(())
}

fn rotate_secret(
    settings: &Settings,
    client_id: &str,
    json: bool,
    now: i64,
) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let client = find_client(&mut conn, client_id).map_err(registration_error)?;
    let (client, secret) =
        rotate(&mut conn, &client.client_id, Actor::CLI, now).map_err(registration_error)?;
    if json {
        let created = Created {
            client_id: client.client_id.as_str(),
            client_secret: Some(secret.as_str()),
        };
        println!(
            "{}",
            serde_json::to_string(&created).expect("two strings serialize")
        );
        return Ok(());
    }
    println!("new secret for client \"{}\"", client.name);
    println!("client_id:     {}", client.client_id);
    println!("client_secret: {}", secret.as_str());
    println!();
    println!("The old secret no longer works. Store this one now: it will not be shown again.");
    Ok(())
}

fn delete(settings: &Settings, client_id: &str, now: i64) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let client = find_client(&mut conn, client_id).map_err(registration_error)?;
    let deleted =
        delete_client(&mut conn, &client.client_id, Actor::CLI, now).map_err(registration_error)?;
    println!(
        "deleted client \"{}\" ({})",
        deleted.name, deleted.client_id
    );
    Ok(())
}
