//! The /account profile form: parsed into the domain's profile types (names, phone number,
//! postal address), then saved in one statement.
use super::AccountError;
use crate::domain::{
    AddressParts, DomainError, LineField, PhoneNumber, PostalAddress, ProfileLine,
};
use crate::store::users::{self, Profile};
use crate::store::DbConn;

/// The /account profile form as typed: unchecked until [`parse_profile`].
#[derive(Clone, Debug, Default)]
pub struct ProfileForm {
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub phone_number: String,
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl From<Profile> for ProfileForm {
    fn from(p: Profile) -> Self {
        ProfileForm {
            name: p.name,
            given_name: p.given_name,
            family_name: p.family_name,
            phone_number: p.phone_number,
            street_address: p.street_address,
            locality: p.locality,
            region: p.region,
            postal_code: p.postal_code,
            country: p.country,
        }
    }
}

/// Checks every field of the form, in form order; the first refusal is the message shown.
/// `phone_number_verified` is not the user's to set (and `users::update_profile` leaves it
/// alone).
pub fn parse_profile(form: &ProfileForm) -> Result<Profile, DomainError> {
    let line = |field, raw: &str| ProfileLine::parse(field, raw).map(|v| stored(v.as_ref()));
    let name = line(LineField::Name, &form.name)?;
    let given_name = line(LineField::GivenName, &form.given_name)?;
    let family_name = line(LineField::FamilyName, &form.family_name)?;
    let phone_number = stored(PhoneNumber::parse(&form.phone_number)?.as_ref());
    let address = PostalAddress::parse(AddressParts {
        street_address: &form.street_address,
        locality: &form.locality,
        region: &form.region,
        postal_code: &form.postal_code,
        country: &form.country,
    })?;
    Ok(Profile {
        name,
        given_name,
        family_name,
        phone_number,
        phone_number_verified: false,
        street_address: stored(address.street_address.as_ref()),
        locality: stored(address.locality.as_ref()),
        region: stored(address.region.as_ref()),
        postal_code: stored(address.postal_code.as_ref()),
        country: stored(address.country.as_ref()),
    })
}

/// How the users table keeps an absent field: the empty string.
fn stored(value: Option<&impl AsRef<str>>) -> String {
    value.map_or_else(String::new, |v| v.as_ref().to_string())
}

/// The profile of a user, for the account page; `None` if the user no longer exists.
pub fn profile(conn: &mut DbConn, user_id: &str) -> Result<Option<Profile>, AccountError> {
    Ok(users::find_with_profile(conn, user_id)?.map(|(_, p)| p))
}

/// Saves the profile form of a logged-in user; nothing is written unless every field is
/// valid. Bumps `updated_at`, which the `updated_at` claim reports (OIDC Core §5.1).
pub fn update_profile(
    conn: &mut DbConn,
    user_id: &str,
    form: &ProfileForm,
    now: i64,
) -> Result<(), AccountError> {
    let profile = parse_profile(form)?;
    users::update_profile(conn, user_id, &profile, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_fields_are_trimmed_and_bounded() {
        let form = ProfileForm {
            name: " Ann Lee ".into(),
            given_name: "Ann".into(),
            phone_number: " +1 555 0100 ".into(),
            street_address: "1 Main St\r\nApt 4\r\n".into(),
            country: "x".repeat(64),
            ..ProfileForm::default()
        };
        let profile = parse_profile(&form).unwrap();
        assert_eq!(profile.name, "Ann Lee");
        assert_eq!(profile.phone_number, "+1 555 0100");
        assert_eq!(profile.street_address, "1 Main St\nApt 4");
        assert_eq!(profile.country.len(), 64);
        assert_eq!(profile.family_name, "", "an empty field stays empty");

        for bad in [
            ProfileForm {
                country: "x".repeat(65),
                ..ProfileForm::default()
            },
            ProfileForm {
                given_name: "Ann\nLee".into(),
                ..ProfileForm::default()
            },
            ProfileForm {
                family_name: "x".repeat(101),
                ..ProfileForm::default()
            },
            ProfileForm {
                postal_code: "12\u{7f}34".into(),
                ..ProfileForm::default()
            },
            ProfileForm {
                phone_number: "555-1212".into(),
                ..ProfileForm::default()
            },
        ] {
            assert!(parse_profile(&bad).is_err(), "{bad:?}");
        }
    }

    /// The first refused field, in the order of the form, is the one the message names.
    #[test]
    fn the_first_refusal_in_form_order_is_shown() {
        let form = ProfileForm {
            family_name: "x".repeat(101),
            country: "x".repeat(65),
            ..ProfileForm::default()
        };
        let err = parse_profile(&form).unwrap_err();
        assert!(err.0.starts_with("The family name"), "{err}");
    }
}
