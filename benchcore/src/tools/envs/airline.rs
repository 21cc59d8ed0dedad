//! The `airline` environment: a small booking database (users, flights, reservations) and
//! the tools an airline's agent has, with the airline's rules enforced by the tools: at most
//! five passengers a booking, enough seats and balance to book, basic-economy reservations
//! are not refundable. Tasks are scored on the database the attempt leaves and the answer.

use super::units::shown;
use crate::tools::environment::{number_arg, state_tool, text_arg, Environment, Session};
use crate::tools::{ToolError, Toolbox};
use crate::Case;
use serde_json::{json, Value};

/// The airline, over its initial database.
#[derive(Debug, Clone)]
pub struct Airline {
    database: Value,
}

impl Airline {
    /// An airline whose every session starts from `database`
    /// (`{"users": {…}, "flights": {…}, "reservations": {…}}`).
    pub fn new(database: Value) -> Self {
        Self { database }
    }
}

fn find<'a>(db: &'a Value, table: &str, id: &str) -> Result<&'a Value, ToolError> {
    db[table]
        .get(id)
        .ok_or_else(|| ToolError::new(format!("no {} `{id}`", table.trim_end_matches('s'))))
}

fn get_user(db: &mut Value, args: &Value) -> Result<String, ToolError> {
    let id = text_arg(args, "user_id")?;
    let user = find(db, "users", id)?.clone();
    let reservations: Vec<&String> = db["reservations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["user_id"] == id)
        .map(|(rid, _)| rid)
        .collect();
    Ok(json!({"user_id": id, "user": user, "reservations": reservations}).to_string())
}

fn get_reservation(db: &mut Value, args: &Value) -> Result<String, ToolError> {
    let id = text_arg(args, "reservation_id")?;
    Ok(find(db, "reservations", id)?.to_string())
}

fn search_flights(db: &mut Value, args: &Value) -> Result<String, ToolError> {
    let (origin, destination) = (text_arg(args, "origin")?, text_arg(args, "destination")?);
    let date = args["date"].as_str();
    let found: Vec<Value> = db["flights"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, f)| {
            f["origin"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(origin))
                && f["destination"]
                    .as_str()
                    .is_some_and(|d| d.eq_ignore_ascii_case(destination))
                && date.is_none_or(|d| f["date"] == d)
        })
        .map(|(id, f)| {
            let mut flight = f.clone();
            flight["flight_id"] = json!(id);
            flight
        })
        .collect();
    Ok(Value::Array(found).to_string())
}

fn book_flight(db: &mut Value, args: &Value) -> Result<String, ToolError> {
    let user_id = text_arg(args, "user_id")?;
    let flight_id = text_arg(args, "flight_id")?;
    let cabin = text_arg(args, "cabin")?;
    let passengers = number_arg(args, "passengers")?;
    if passengers.fract() != 0.0 || !(1.0..=5.0).contains(&passengers) {
        return Err(ToolError::new("policy: a booking has 1 to 5 passengers"));
    }
    let basic = cabin == "basic_economy";
    let fare_cabin = if basic { "economy" } else { cabin };
    find(db, "users", user_id)?;
    let flight = find(db, "flights", flight_id)?;
    let price = flight["price"][fare_cabin]
        .as_f64()
        .ok_or_else(|| ToolError::new(format!("flight `{flight_id}` has no cabin `{cabin}`")))?;
    let price = if basic { price * 0.8 } else { price };
    let seats = flight["seats"][fare_cabin].as_f64().unwrap_or(0.0);
    if seats < passengers {
        return Err(ToolError::new(format!(
            "only {seats} {fare_cabin} seats left on {flight_id}"
        )));
    }
    let cost = price * passengers;
    let balance = db["users"][user_id]["balance"].as_f64().unwrap_or(0.0);
    if balance < cost {
        return Err(ToolError::new(format!(
            "balance {} is less than the fare {}",
            shown(balance),
            shown(cost)
        )));
    }
    db["users"][user_id]["balance"] = json!(balance - cost);
    db["flights"][flight_id]["seats"][fare_cabin] = json!(seats - passengers);
    let number = db["reservations"]
        .as_object()
        .map_or(0, serde_json::Map::len)
        + 1;
    let id = format!("R{number:03}");
    let reservation = json!({"user_id": user_id, "flight_id": flight_id, "cabin": cabin,
        "passengers": passengers, "paid": cost, "status": "booked"});
    db["reservations"][&id] = reservation.clone();
    Ok(json!({"reservation_id": id, "reservation": reservation}).to_string())
}

fn cancel_reservation(db: &mut Value, args: &Value) -> Result<String, ToolError> {
    let id = text_arg(args, "reservation_id")?;
    let reservation = find(db, "reservations", id)?.clone();
    if reservation["status"] == "cancelled" {
        return Err(ToolError::new(format!(
            "reservation `{id}` is already cancelled"
        )));
    }
    if reservation["cabin"] == "basic_economy" {
        return Err(ToolError::new(
            "policy: basic economy reservations cannot be cancelled",
        ));
    }
    let user = reservation["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let flight = reservation["flight_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let cabin = reservation["cabin"].as_str().unwrap_or_default().to_owned();
    let paid = reservation["paid"].as_f64().unwrap_or(0.0);
    let passengers = reservation["passengers"].as_f64().unwrap_or(0.0);
    let balance = db["users"][&user]["balance"].as_f64().unwrap_or(0.0);
    db["users"][&user]["balance"] = json!(balance + paid);
    let seats = db["flights"][&flight]["seats"][&cabin]
        .as_f64()
        .unwrap_or(0.0);
    db["flights"][&flight]["seats"][&cabin] = json!(seats + passengers);
    db["reservations"][id]["status"] = json!("cancelled");
    Ok(json!({"reservation_id": id, "status": "cancelled", "refunded": paid}).to_string())
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

impl Environment for Airline {
    fn name(&self) -> &str {
        "airline"
    }

    fn session(&self, _case: &Case) -> Result<Session, String> {
        if !self.database["flights"].is_object() {
            return Err("the airline database has no `flights`".into());
        }
        Ok(Session::new(self.database.clone(), |state| {
            let id = |name: &str| json!({name: {"type": "string"}});
            Toolbox::new()
                .with(state_tool(state, "get_user", "A user's profile, balance and reservation ids.", object(id("user_id"), &["user_id"]), get_user))
                .with(state_tool(state, "get_reservation", "One reservation.", object(id("reservation_id"), &["reservation_id"]), get_reservation))
                .with(state_tool(
                    state,
                    "search_flights",
                    "Flights from origin to destination (airport codes), on a date (YYYY-MM-DD) if given, with prices and seats per cabin.",
                    object(json!({"origin": {"type": "string"}, "destination": {"type": "string"}, "date": {"type": "string"}}), &["origin", "destination"]),
                    search_flights,
                ))
                .with(state_tool(
                    state,
                    "book_flight",
                    "Books a flight for a user, paid from their balance. Cabins: basic_economy (economy at 80%, not refundable), economy, business. 1 to 5 passengers.",
                    object(json!({"user_id": {"type": "string"}, "flight_id": {"type": "string"},
                        "cabin": {"type": "string", "enum": ["basic_economy", "economy", "business"]},
                        "passengers": {"type": "integer"}}), &["user_id", "flight_id", "cabin", "passengers"]),
                    book_flight,
                ))
                .with(state_tool(
                    state,
                    "cancel_reservation",
                    "Cancels a reservation and refunds it to the user's balance. Basic economy cannot be cancelled.",
                    object(id("reservation_id"), &["reservation_id"]),
                    cancel_reservation,
                ))
        }))
    }
}
