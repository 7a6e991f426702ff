use super::DomainError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err(DomainError("The role must be admin or user.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}
