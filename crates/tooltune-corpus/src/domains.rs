//! The tables the catalogues are drawn from: argument attributes (a type,
//! parameter names, and the phrases a user says them with) and tool
//! specifications grouped by domain. A catalogue is a random subset of one
//! domain's tools, sometimes with strangers from another domain, each tool
//! with a random name variant, description and parameter names, so the
//! corpus holds thousands of distinct catalogues.
//!
//! Held-out evaluation catalogues (customer support, a library, a vet
//! clinic) are deliberately absent: no `track_order`, `request_refund`,
//! `escalate`, loans, books or pets here.

use crate::values::Kind;

/// An argument: parameter names, type, and phrasings (`{}` is the value).
#[derive(Debug)]
pub struct Attr {
    /// Key used by tool specs.
    pub key: &'static str,
    /// Parameter name variants (snake_case; camelCase is derived).
    pub names: &'static [&'static str],
    /// Type and value pool.
    pub kind: Kind,
    /// How a request says it.
    pub phrases: &'static [&'static str],
    /// Parameter description.
    pub about: &'static str,
}

/// A tool: name variants, descriptions, request verbs and objects, arguments.
#[derive(Debug)]
pub struct ToolSpec {
    /// Name variants (snake_case).
    pub names: &'static [&'static str],
    /// Description variants.
    pub descs: &'static [&'static str],
    /// Head verb, for WordNet synonyms.
    pub head: &'static str,
    /// Verb phrases of requests.
    pub verbs: &'static [&'static str],
    /// Object phrases ("" when the verb says it all).
    pub objects: &'static [&'static str],
    /// Required argument keys.
    pub req: &'static [&'static str],
    /// Optional argument keys.
    pub opt: &'static [&'static str],
}

/// A domain: tools and system prompts users write for it.
#[derive(Debug)]
pub struct Domain {
    /// Domain name.
    pub name: &'static str,
    /// Its tools.
    pub tools: &'static [ToolSpec],
    /// System prompts.
    pub systems: &'static [&'static str],
}

const MESSAGES: &[&str] = &[
    "running ten minutes late",
    "see you at noon",
    "the report is ready",
    "call me back when you can",
    "happy birthday!",
    "meeting moved to Friday",
    "don't forget the keys",
    "lunch is on me today",
    "the build is green again",
    "can we talk tomorrow?",
    "thanks for the help",
    "boarding now",
];
const TITLES: &[&str] = &[
    "Quarterly review",
    "Team lunch",
    "Dentist",
    "Project kickoff",
    "Yoga class",
    "Budget sync",
    "Parent meeting",
    "Design critique",
    "Coffee with Sam",
    "Release planning",
];
const QUERIES: &[&str] = &[
    "wireless headphones",
    "running shoes",
    "standing desk",
    "coffee grinder",
    "rain jacket",
    "phone charger",
    "desk lamp",
    "hiking boots",
    "water bottle",
    "laptop stand",
    "yoga mat",
];
const NOTES: &[&str] = &[
    "leave it at the back door",
    "ring twice",
    "no onions please",
    "window seat if possible",
    "extra napkins",
    "gift wrap it",
    "call on arrival",
    "quiet room please",
];
const TOPICS: &[&str] = &[
    "algebra",
    "photosynthesis",
    "the French revolution",
    "fractions",
    "plate tectonics",
    "python loops",
    "poetry",
    "the water cycle",
    "probability",
    "world war one",
];
const FILES: &[&str] = &[
    "report.pdf",
    "notes.txt",
    "budget.xlsx",
    "photo.jpg",
    "slides.pptx",
    "draft.docx",
    "data.csv",
    "invoice.pdf",
    "summary.md",
    "logo.png",
];
const FOLDERS: &[&str] = &[
    "Documents",
    "Archive",
    "Projects",
    "Photos",
    "Shared",
    "Backups",
];
const DISHES: &[&str] = &[
    "margherita pizza",
    "pad thai",
    "veggie burger",
    "chicken curry",
    "caesar salad",
    "sushi set",
    "ramen",
    "falafel wrap",
    "lasagna",
    "tacos",
];
const SONGS: &[&str] = &[
    "Clair de Lune",
    "Bohemian Rhapsody",
    "Blue in Green",
    "Here Comes the Sun",
    "Take Five",
    "Hallelujah",
    "Dancing Queen",
    "So What",
];
const ARTISTS: &[&str] = &[
    "Miles Davis",
    "Adele",
    "Queen",
    "Bach",
    "Nina Simone",
    "Coldplay",
    "ABBA",
];
const ROOMS: &[&str] = &[
    "kitchen",
    "living room",
    "bedroom",
    "garage",
    "office",
    "hallway",
    "bathroom",
];
const TAGS: &[&str] = &[
    "urgent", "work", "family", "travel", "finance", "ideas", "school", "health",
];
const EXERCISES: &[&str] = &[
    "running", "cycling", "swimming", "yoga", "rowing", "walking", "weights",
];
const SYMBOLS: &[&str] = &["AAPL", "MSFT", "TSLA", "NVDA", "AMZN", "GOOG", "IBM", "KO"];
const SUBJECTS: &[&str] = &[
    "math",
    "biology",
    "history",
    "chemistry",
    "physics",
    "art",
    "music",
];
const PRODUCTS: &[&str] = &[
    "blue mug",
    "cotton t-shirt",
    "notebook",
    "usb cable",
    "backpack",
    "table lamp",
    "sneakers",
];
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "JPY", "CHF", "CAD"];

/// Every argument attribute.
pub const ATTRS: &[Attr] = &[
    Attr {
        key: "order_id",
        names: &["order_id", "order_number", "id"],
        kind: Kind::Id("ORD-"),
        phrases: &["order {}", "for {}", "#{}", "{}", "with order number {}"],
        about: "The order identifier",
    },
    Attr {
        key: "product_query",
        names: &["query", "search_term", "keywords"],
        kind: Kind::Word(QUERIES),
        phrases: &["for {}", "{}", "matching {}"],
        about: "What to search for",
    },
    Attr {
        key: "product",
        names: &["product", "item", "product_name"],
        kind: Kind::Word(PRODUCTS),
        phrases: &["the {}", "a {}", "{}"],
        about: "The product",
    },
    Attr {
        key: "quantity",
        names: &["quantity", "qty", "count"],
        kind: Kind::Int(1, 12),
        phrases: &["{} of them", "quantity {}", "x{}", "{} units"],
        about: "How many",
    },
    Attr {
        key: "max_price",
        names: &["max_price", "budget", "price_limit"],
        kind: Kind::Num(5, 500),
        phrases: &[
            "under {} dollars",
            "below ${}",
            "max price {}",
            "for at most {}",
        ],
        about: "Highest price",
    },
    Attr {
        key: "address",
        names: &["address", "shipping_address", "destination"],
        kind: Kind::Address,
        phrases: &["to {}", "at {}", "shipping to {}"],
        about: "Where to",
    },
    Attr {
        key: "note",
        names: &["note", "instructions", "comment"],
        kind: Kind::Quoted(NOTES),
        phrases: &["with the note {}", "note: {}", "saying {}"],
        about: "Free-text note",
    },
    Attr {
        key: "gift",
        names: &["gift_wrap", "is_gift"],
        kind: Kind::Bool(
            &["as a gift", "gift-wrapped"],
            &["not as a gift", "no gift wrap"],
        ),
        phrases: &["{}"],
        about: "Gift wrap",
    },
    Attr {
        key: "sort",
        names: &["sort_by", "order_by"],
        kind: Kind::Enum(&["price", "rating", "newest"]),
        phrases: &["sorted by {}", "by {}"],
        about: "Sort order",
    },
    Attr {
        key: "limit",
        names: &["limit", "max_results", "top_k"],
        kind: Kind::Int(1, 20),
        phrases: &["top {}", "only {} results", "limit {}", "show {}"],
        about: "How many results",
    },
    Attr {
        key: "title",
        names: &["title", "subject", "summary"],
        kind: Kind::Quoted(TITLES),
        phrases: &["called {}", "titled {}", "named {}", "{}"],
        about: "Title",
    },
    Attr {
        key: "date",
        names: &["date", "day", "on_date"],
        kind: Kind::Date,
        phrases: &["on {}", "for {}", "date {}"],
        about: "Date (YYYY-MM-DD)",
    },
    Attr {
        key: "start_time",
        names: &["start_time", "time", "at"],
        kind: Kind::Time,
        phrases: &["at {}", "starting {}", "from {}"],
        about: "Start time (HH:MM)",
    },
    Attr {
        key: "duration",
        names: &["duration_minutes", "minutes", "length"],
        kind: Kind::Int(5, 180),
        phrases: &["for {} minutes", "{} min long", "lasting {} minutes"],
        about: "Length in minutes",
    },
    Attr {
        key: "attendees",
        names: &["attendees", "guests", "invitees"],
        kind: Kind::Emails,
        phrases: &["with {}", "inviting {}", "and invite {}"],
        about: "E-mail addresses",
    },
    Attr {
        key: "event_id",
        names: &["event_id", "meeting_id", "id"],
        kind: Kind::Id("EVT-"),
        phrases: &["event {}", "{}", "meeting {}"],
        about: "The event identifier",
    },
    Attr {
        key: "reminder",
        names: &["reminder", "notify"],
        kind: Kind::Bool(
            &["with a reminder", "and remind me"],
            &["without a reminder", "no reminder"],
        ),
        phrases: &["{}"],
        about: "Send a reminder",
    },
    Attr {
        key: "origin",
        names: &["origin", "from_city", "departure"],
        kind: Kind::City,
        phrases: &["from {}", "leaving {}", "departing {}"],
        about: "Departure city",
    },
    Attr {
        key: "destination",
        names: &["destination", "to_city", "arrival"],
        kind: Kind::City,
        phrases: &["to {}", "into {}", "arriving in {}"],
        about: "Arrival city",
    },
    Attr {
        key: "city",
        names: &["city", "location", "place"],
        kind: Kind::City,
        phrases: &["in {}", "for {}", "at {}", "{}"],
        about: "City",
    },
    Attr {
        key: "passengers",
        names: &["passengers", "travellers", "adults"],
        kind: Kind::Int(1, 9),
        phrases: &["for {} people", "{} passengers", "{} adults"],
        about: "Number of travellers",
    },
    Attr {
        key: "cabin",
        names: &["cabin", "class", "fare_class"],
        kind: Kind::Enum(&["economy", "premium_economy", "business", "first"]),
        phrases: &["in {}", "{} class", "flying {}"],
        about: "Cabin class",
    },
    Attr {
        key: "nights",
        names: &["nights", "num_nights", "stay_length"],
        kind: Kind::Int(1, 14),
        phrases: &["for {} nights", "{} nights"],
        about: "Nights",
    },
    Attr {
        key: "booking_id",
        names: &["booking_id", "reservation_id", "confirmation"],
        kind: Kind::Id("BK-"),
        phrases: &["booking {}", "reservation {}", "{}"],
        about: "The booking reference",
    },
    Attr {
        key: "room",
        names: &["room", "area", "zone"],
        kind: Kind::Word(ROOMS),
        phrases: &["in the {}", "{}", "for the {}"],
        about: "Room",
    },
    Attr {
        key: "temperature",
        names: &["temperature", "target_temp", "degrees"],
        kind: Kind::Num(15, 28),
        phrases: &["to {} degrees", "at {}", "{} degrees"],
        about: "Temperature",
    },
    Attr {
        key: "unit",
        names: &["unit", "scale", "units"],
        kind: Kind::Enum(&["celsius", "fahrenheit"]),
        phrases: &["in {}", "{}"],
        about: "Temperature unit",
    },
    Attr {
        key: "on",
        names: &["on", "power", "enabled"],
        kind: Kind::Bool(&["on", "switched on"], &["off", "switched off"]),
        phrases: &["{}"],
        about: "Power state",
    },
    Attr {
        key: "brightness",
        names: &["brightness", "level", "percent"],
        kind: Kind::Int(0, 100),
        phrases: &["to {} percent", "at {}%", "brightness {}"],
        about: "Brightness 0-100",
    },
    Attr {
        key: "color",
        names: &["color", "colour"],
        kind: Kind::Enum(&["warm_white", "cool_white", "red", "blue", "green"]),
        phrases: &["to {}", "in {}", "{} light"],
        about: "Light colour",
    },
    Attr {
        key: "device_id",
        names: &["device_id", "device", "serial"],
        kind: Kind::Id("DEV-"),
        phrases: &["device {}", "{}", "serial {}"],
        about: "Device identifier",
    },
    Attr {
        key: "amount",
        names: &["amount", "value", "sum"],
        kind: Kind::Num(1, 5000),
        phrases: &["{} dollars", "${}", "amount {}", "{}"],
        about: "Amount",
    },
    Attr {
        key: "currency",
        names: &["currency", "currency_code"],
        kind: Kind::Word(CURRENCIES),
        phrases: &["in {}", "{}"],
        about: "ISO currency code",
    },
    Attr {
        key: "to_currency",
        names: &["to_currency", "target_currency"],
        kind: Kind::Word(CURRENCIES),
        phrases: &["to {}", "into {}"],
        about: "Target currency",
    },
    Attr {
        key: "account_id",
        names: &["account_id", "account", "account_number"],
        kind: Kind::Id("ACC-"),
        phrases: &["account {}", "from {}", "{}"],
        about: "Account identifier",
    },
    Attr {
        key: "recipient",
        names: &["recipient", "payee", "to"],
        kind: Kind::Person,
        phrases: &["to {}", "for {}", "{}"],
        about: "Who receives it",
    },
    Attr {
        key: "symbol",
        names: &["symbol", "ticker"],
        kind: Kind::Word(SYMBOLS),
        phrases: &["{}", "ticker {}", "for {}"],
        about: "Stock ticker",
    },
    Attr {
        key: "invoice_id",
        names: &["invoice_id", "invoice"],
        kind: Kind::Id("INV-"),
        phrases: &["invoice {}", "{}"],
        about: "Invoice number",
    },
    Attr {
        key: "recurring",
        names: &["recurring", "repeat_monthly"],
        kind: Kind::Bool(
            &["every month", "as a recurring payment"],
            &["just once", "one time only"],
        ),
        phrases: &["{}"],
        about: "Repeat monthly",
    },
    Attr {
        key: "filename",
        names: &["filename", "file", "path"],
        kind: Kind::Word(FILES),
        phrases: &["{}", "the file {}", "called {}"],
        about: "File name",
    },
    Attr {
        key: "folder",
        names: &["folder", "directory", "dest_folder"],
        kind: Kind::Word(FOLDERS),
        phrases: &["to {}", "into {}", "in {}"],
        about: "Folder",
    },
    Attr {
        key: "email",
        names: &["email", "share_with", "user_email"],
        kind: Kind::Email,
        phrases: &["with {}", "to {}", "{}"],
        about: "E-mail address",
    },
    Attr {
        key: "permission",
        names: &["permission", "role", "access"],
        kind: Kind::Enum(&["viewer", "commenter", "editor"]),
        phrases: &["as {}", "with {} access", "{} rights"],
        about: "Access level",
    },
    Attr {
        key: "tags",
        names: &["tags", "labels"],
        kind: Kind::List(TAGS),
        phrases: &["tagged {}", "with tags {}", "labels {}"],
        about: "Tags",
    },
    Attr {
        key: "message",
        names: &["message", "text", "body"],
        kind: Kind::Quoted(MESSAGES),
        phrases: &["saying {}", "{}", "with the text {}", "that says {}"],
        about: "Message text",
    },
    Attr {
        key: "contact",
        names: &["contact", "to", "recipient_name"],
        kind: Kind::Person,
        phrases: &["to {}", "{}"],
        about: "Contact name",
    },
    Attr {
        key: "phone",
        names: &["phone", "phone_number", "number"],
        kind: Kind::Phone,
        phrases: &["at {}", "on {}", "{}"],
        about: "Phone number",
    },
    Attr {
        key: "channel",
        names: &["channel", "room_name"],
        kind: Kind::Word(&["general", "random", "dev", "support", "design", "sales"]),
        phrases: &["in #{}", "to the {} channel", "on {}"],
        about: "Channel",
    },
    Attr {
        key: "urgent",
        names: &["urgent", "high_priority", "important"],
        kind: Kind::Bool(
            &["urgently", "marked urgent", "as important"],
            &["not urgent", "no rush"],
        ),
        phrases: &["{}"],
        about: "Urgent",
    },
    Attr {
        key: "exercise",
        names: &["activity", "exercise", "workout_type"],
        kind: Kind::Word(EXERCISES),
        phrases: &["{}", "a {} session", "of {}"],
        about: "Activity",
    },
    Attr {
        key: "weight",
        names: &["weight_kg", "weight", "kg"],
        kind: Kind::Num(40, 140),
        phrases: &["{} kg", "{} kilos", "weight {}"],
        about: "Weight in kg",
    },
    Attr {
        key: "patient",
        names: &["patient_name", "name", "patient"],
        kind: Kind::Person,
        phrases: &["for {}", "{}", "patient {}"],
        about: "Patient name",
    },
    Attr {
        key: "doctor",
        names: &["doctor", "physician", "provider"],
        kind: Kind::Person,
        phrases: &["with Dr. {}", "with {}", "doctor {}"],
        about: "Doctor",
    },
    Attr {
        key: "dose_mg",
        names: &["dose_mg", "dosage", "mg"],
        kind: Kind::Int(5, 1000),
        phrases: &["{} mg", "dose {}"],
        about: "Dose in mg",
    },
    Attr {
        key: "student_id",
        names: &["student_id", "learner_id"],
        kind: Kind::Id("STU-"),
        phrases: &["student {}", "{}", "for {}"],
        about: "Student identifier",
    },
    Attr {
        key: "course",
        names: &["course", "subject", "class_name"],
        kind: Kind::Word(SUBJECTS),
        phrases: &["{}", "the {} course", "in {}"],
        about: "Course",
    },
    Attr {
        key: "topic",
        names: &["topic", "concept"],
        kind: Kind::Word(TOPICS),
        phrases: &["on {}", "about {}", "{}"],
        about: "Topic",
    },
    Attr {
        key: "grade",
        names: &["grade", "score", "points"],
        kind: Kind::Int(0, 100),
        phrases: &["{} points", "a grade of {}", "score {}"],
        about: "Grade",
    },
    Attr {
        key: "difficulty",
        names: &["difficulty", "level"],
        kind: Kind::Enum(&["easy", "medium", "hard"]),
        phrases: &["{}", "at {} level", "{} difficulty"],
        about: "Difficulty",
    },
    Attr {
        key: "days",
        names: &["days", "forecast_days", "num_days"],
        kind: Kind::Int(1, 10),
        phrases: &["for {} days", "next {} days", "{}-day"],
        about: "Days ahead",
    },
    Attr {
        key: "dish",
        names: &["dish", "item", "meal"],
        kind: Kind::Word(DISHES),
        phrases: &["a {}", "the {}", "{}", "some {}"],
        about: "Dish",
    },
    Attr {
        key: "restaurant",
        names: &["restaurant", "venue"],
        kind: Kind::Word(&[
            "Luigi's",
            "Golden Wok",
            "Taco Loco",
            "The Green Bowl",
            "Sakura",
            "Burger Barn",
        ]),
        phrases: &["from {}", "at {}", "{}"],
        about: "Restaurant",
    },
    Attr {
        key: "party_size",
        names: &["party_size", "guests", "people"],
        kind: Kind::Int(1, 12),
        phrases: &["for {}", "table for {}", "{} people"],
        about: "Number of people",
    },
    Attr {
        key: "song",
        names: &["song", "track", "title"],
        kind: Kind::Word(SONGS),
        phrases: &["{}", "the song {}", "track {}"],
        about: "Song title",
    },
    Attr {
        key: "artist",
        names: &["artist", "band", "performer"],
        kind: Kind::Word(ARTISTS),
        phrases: &["by {}", "from {}", "{}"],
        about: "Artist",
    },
    Attr {
        key: "volume",
        names: &["volume", "level"],
        kind: Kind::Int(0, 100),
        phrases: &["volume {}", "at {} percent", "to {}"],
        about: "Volume 0-100",
    },
    Attr {
        key: "shuffle",
        names: &["shuffle", "random_order"],
        kind: Kind::Bool(
            &["on shuffle", "shuffled"],
            &["in order", "without shuffle"],
        ),
        phrases: &["{}"],
        about: "Shuffle",
    },
    Attr {
        key: "employee",
        names: &["employee", "employee_name", "name"],
        kind: Kind::Person,
        phrases: &["for {}", "{}", "employee {}"],
        about: "Employee",
    },
    Attr {
        key: "start_date",
        names: &["start_date", "from_date"],
        kind: Kind::Date,
        phrases: &["from {}", "starting {}"],
        about: "First day",
    },
    Attr {
        key: "country",
        names: &["country", "country_name"],
        kind: Kind::Country,
        phrases: &["in {}", "for {}", "{}"],
        about: "Country",
    },
    Attr {
        key: "priority",
        names: &["priority", "severity"],
        kind: Kind::Enum(&["low", "medium", "high"]),
        phrases: &["{} priority", "priority {}", "as {}"],
        about: "Priority",
    },
    Attr {
        key: "ticket_id",
        names: &["ticket_id", "issue_id", "case_id"],
        kind: Kind::Id("TCK-"),
        phrases: &["ticket {}", "{}", "issue {}"],
        about: "Ticket identifier",
    },
    Attr {
        key: "description",
        names: &["description", "details", "summary"],
        kind: Kind::Quoted(&[
            "login page is blank",
            "printer on floor 3 is jammed",
            "VPN drops every hour",
            "laptop fan is loud",
            "cannot open the shared drive",
            "email stuck in outbox",
        ]),
        phrases: &["saying {}", "{}", "described as {}"],
        about: "What happened",
    },
];

/// Looks an attribute up by key (the tables are checked by a test).
pub fn attr(key: &str) -> &'static Attr {
    ATTRS
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("unknown attribute `{key}`"))
}

macro_rules! tool {
    ($names:expr, $descs:expr, $head:expr, $verbs:expr, $objects:expr, $req:expr, $opt:expr) => {
        ToolSpec {
            names: $names,
            descs: $descs,
            head: $head,
            verbs: $verbs,
            objects: $objects,
            req: $req,
            opt: $opt,
        }
    };
}

/// Every domain.
pub const DOMAINS: &[Domain] = &[
    Domain {
        name: "commerce",
        systems: &[
            "You are the shopping assistant of an online store.",
            "Help customers with the shop's orders and products.",
        ],
        tools: &[
            tool!(
                &["search_products", "find_products", "product_search"],
                &[
                    "Search the catalogue for products.",
                    "Find products matching a query."
                ],
                "search",
                &["search", "find", "look for", "show me"],
                &["products", "items", ""],
                &["product_query"],
                &["max_price", "sort", "limit"]
            ),
            tool!(
                &["get_order_status", "order_status", "check_order"],
                &[
                    "Get the shipping status of an order.",
                    "Check where an order is."
                ],
                "check",
                &["check", "where is", "what's the status of", "look up"],
                &["my order", "the order", "order", "package"],
                &["order_id"],
                &[]
            ),
            tool!(
                &["cancel_order", "void_order"],
                &["Cancel an order that has not shipped.", "Cancel an order."],
                "cancel",
                &["cancel", "call off", "stop"],
                &["my order", "the order", "order"],
                &["order_id"],
                &["note"]
            ),
            tool!(
                &["add_to_cart", "cart_add"],
                &[
                    "Add a product to the cart.",
                    "Put items in the shopping cart."
                ],
                "add",
                &["add", "put", "throw in"],
                &["to my cart", "to the cart", "in the basket"],
                &["product"],
                &["quantity", "gift"]
            ),
            tool!(
                &["place_order", "checkout", "create_order"],
                &[
                    "Place an order for a product.",
                    "Buy a product and ship it."
                ],
                "buy",
                &["order", "buy", "purchase", "get me"],
                &[""],
                &["product", "address"],
                &["quantity", "note", "gift"]
            ),
            tool!(
                &["change_shipping_address", "update_address"],
                &[
                    "Change where an order ships.",
                    "Update an order's delivery address."
                ],
                "change",
                &["change the address of", "update shipping for", "redirect"],
                &["order", "my order"],
                &["order_id", "address"],
                &[]
            ),
        ],
    },
    Domain {
        name: "calendar",
        systems: &[
            "You manage the user's calendar.",
            "You are a scheduling assistant.",
        ],
        tools: &[
            tool!(
                &["create_event", "add_event", "schedule_meeting"],
                &["Create a calendar event.", "Put a meeting on the calendar."],
                "schedule",
                &["schedule", "create", "set up", "put in"],
                &["a meeting", "an event", "a calendar event", ""],
                &["title", "date"],
                &["start_time", "duration", "attendees", "reminder"]
            ),
            tool!(
                &["cancel_event", "delete_event", "remove_meeting"],
                &["Cancel a calendar event.", "Delete an event by its ID."],
                "cancel",
                &["cancel", "delete", "remove"],
                &["event", "the meeting", "meeting"],
                &["event_id"],
                &["note"]
            ),
            tool!(
                &["list_events", "get_agenda", "show_schedule"],
                &["List the events on a day.", "Show the agenda for a date."],
                "show",
                &["show", "list", "what's on"],
                &["my agenda", "events", "my schedule"],
                &["date"],
                &["limit"]
            ),
            tool!(
                &["reschedule_event", "move_event"],
                &[
                    "Move an event to a new date and time.",
                    "Reschedule a meeting."
                ],
                "move",
                &["move", "reschedule", "push"],
                &["event", "meeting"],
                &["event_id", "date"],
                &["start_time"]
            ),
            tool!(
                &["find_free_slot", "find_availability"],
                &["Find a free time slot.", "Look for free time on a date."],
                "find",
                &["find", "look for"],
                &["a free slot", "free time", "an open slot"],
                &["date", "duration"],
                &["attendees"]
            ),
        ],
    },
    Domain {
        name: "travel",
        systems: &["You are a travel agent bot.", "You help people plan trips."],
        tools: &[
            tool!(
                &["search_flights", "find_flights", "flight_search"],
                &[
                    "Search for flights between two cities.",
                    "Find flights on a date."
                ],
                "find",
                &["find", "search", "look for", "get me"],
                &["flights", "a flight", "plane tickets"],
                &["origin", "destination", "date"],
                &["passengers", "cabin"]
            ),
            tool!(
                &["book_hotel", "reserve_hotel", "hotel_booking"],
                &["Book a hotel room.", "Reserve a hotel in a city."],
                "book",
                &["book", "reserve", "get"],
                &["a hotel", "a room", "hotel"],
                &["city", "date", "nights"],
                &["party_size", "note"]
            ),
            tool!(
                &["cancel_booking", "cancel_reservation"],
                &[
                    "Cancel a travel booking.",
                    "Cancel a reservation by reference."
                ],
                "cancel",
                &["cancel", "call off"],
                &["booking", "my reservation", "reservation"],
                &["booking_id"],
                &[]
            ),
            tool!(
                &["get_booking", "booking_details"],
                &["Get the details of a booking.", "Look up a reservation."],
                "get",
                &["look up", "show", "get"],
                &["booking", "reservation", "my booking"],
                &["booking_id"],
                &[]
            ),
            tool!(
                &["rent_car", "book_car", "car_rental"],
                &["Rent a car.", "Book a rental car in a city."],
                "rent",
                &["rent", "book", "hire"],
                &["a car", "a rental car"],
                &["city", "start_date", "days"],
                &[]
            ),
        ],
    },
    Domain {
        name: "home",
        systems: &[
            "You control the smart home.",
            "You are a home automation assistant.",
        ],
        tools: &[
            tool!(
                &["set_thermostat", "set_temperature", "adjust_heating"],
                &["Set the thermostat.", "Set a room's target temperature."],
                "set",
                &["set", "put", "change"],
                &["the thermostat", "the heating", "the temperature"],
                &["temperature"],
                &["room", "unit"]
            ),
            tool!(
                &["set_lights", "control_lights", "toggle_light"],
                &["Turn lights on or off.", "Switch the lights."],
                "turn",
                &["turn", "switch", "put"],
                &["the lights", "the lamp", "lights"],
                &["room", "on"],
                &["brightness"]
            ),
            tool!(
                &["dim_lights", "set_brightness"],
                &["Set light brightness.", "Dim or brighten lights."],
                "dim",
                &["dim", "set", "adjust"],
                &["the lights", "lights"],
                &["brightness"],
                &["room", "color"]
            ),
            tool!(
                &["set_light_color", "change_light_color"],
                &["Change the colour of smart bulbs.", "Set the light colour."],
                "change",
                &["change", "set", "make"],
                &["the lights", "the bulbs"],
                &["color"],
                &["room"]
            ),
            tool!(
                &["lock_door", "set_lock"],
                &["Lock a smart lock.", "Lock the door."],
                "lock",
                &["lock", "secure"],
                &["the door", "the front door", "the lock"],
                &["device_id"],
                &[]
            ),
            tool!(
                &["device_status", "get_device_status"],
                &["Get a device's state.", "Check a smart device."],
                "check",
                &["check", "get the status of", "how is"],
                &["device", "the device"],
                &["device_id"],
                &[]
            ),
        ],
    },
    Domain {
        name: "finance",
        systems: &[
            "You are a banking assistant.",
            "Help the user with accounts and payments.",
        ],
        tools: &[
            tool!(
                &["get_balance", "account_balance", "check_balance"],
                &[
                    "Get an account's balance.",
                    "Check how much money is in an account."
                ],
                "check",
                &["check", "what's", "show"],
                &["the balance of", "balance on", "my balance for"],
                &["account_id"],
                &["currency"]
            ),
            tool!(
                &["transfer_money", "send_payment", "make_transfer"],
                &["Transfer money to someone.", "Send a payment."],
                "send",
                &["send", "transfer", "pay", "wire"],
                &[""],
                &["amount", "recipient"],
                &["currency", "note", "recurring"]
            ),
            tool!(
                &["convert_currency", "exchange_rate", "fx_convert"],
                &[
                    "Convert an amount between currencies.",
                    "Currency conversion."
                ],
                "convert",
                &["convert", "change", "exchange"],
                &[""],
                &["amount", "currency", "to_currency"],
                &[]
            ),
            tool!(
                &["get_stock_price", "stock_quote", "quote"],
                &["Get the latest stock price.", "Quote a ticker."],
                "get",
                &["get", "check", "what's"],
                &["the price of", "the stock price for", "a quote for"],
                &["symbol"],
                &["currency"]
            ),
            tool!(
                &["pay_invoice", "settle_invoice"],
                &["Pay an invoice.", "Settle a bill by invoice number."],
                "pay",
                &["pay", "settle"],
                &["invoice", "the bill", "bill"],
                &["invoice_id"],
                &["account_id", "amount"]
            ),
        ],
    },
    Domain {
        name: "files",
        systems: &[
            "You manage the user's cloud drive.",
            "You are a file assistant.",
        ],
        tools: &[
            tool!(
                &["share_file", "grant_access"],
                &[
                    "Share a file with someone.",
                    "Give a person access to a file."
                ],
                "share",
                &["share", "send"],
                &[""],
                &["filename", "email"],
                &["permission"]
            ),
            tool!(
                &["move_file", "relocate_file"],
                &["Move a file to a folder.", "Move a file."],
                "move",
                &["move", "put", "file"],
                &[""],
                &["filename", "folder"],
                &[]
            ),
            tool!(
                &["delete_file", "trash_file", "remove_file"],
                &["Delete a file.", "Move a file to the trash."],
                "delete",
                &["delete", "remove", "trash", "get rid of"],
                &[""],
                &["filename"],
                &[]
            ),
            tool!(
                &["search_files", "find_files"],
                &["Search files by name or tag.", "Find files."],
                "find",
                &["find", "search for", "look for"],
                &["files", "documents"],
                &["tags"],
                &["folder", "limit"]
            ),
            tool!(
                &["tag_file", "label_file"],
                &["Add tags to a file.", "Label a file."],
                "tag",
                &["tag", "label"],
                &[""],
                &["filename", "tags"],
                &[]
            ),
        ],
    },
    Domain {
        name: "messaging",
        systems: &[
            "You send messages for the user.",
            "You are a communications assistant.",
        ],
        tools: &[
            tool!(
                &["send_message", "send_text", "sms"],
                &["Send a text message to a contact.", "Text someone."],
                "send",
                &["send", "text", "message"],
                &["a message", "a text", ""],
                &["contact", "message"],
                &["urgent"]
            ),
            tool!(
                &["send_email", "email_contact", "compose_email"],
                &["Send an e-mail.", "Write and send an email."],
                "send",
                &["email", "send an email", "write"],
                &[""],
                &["email", "title", "message"],
                &["urgent"]
            ),
            tool!(
                &["call_number", "place_call", "dial"],
                &["Place a phone call.", "Call a number."],
                "call",
                &["call", "dial", "ring"],
                &[""],
                &["phone"],
                &[]
            ),
            tool!(
                &["post_to_channel", "post_message", "chat_post"],
                &["Post a message in a team channel.", "Post to chat."],
                "post",
                &["post", "write", "drop"],
                &["a message", "a note", ""],
                &["channel", "message"],
                &["urgent"]
            ),
        ],
    },
    Domain {
        name: "health",
        systems: &[
            "You are a clinic's front-desk assistant.",
            "You help with health and fitness records.",
        ],
        tools: &[
            tool!(
                &["book_appointment", "schedule_visit"],
                &["Book a doctor's appointment.", "Schedule a clinic visit."],
                "book",
                &["book", "schedule", "make"],
                &["an appointment", "a visit", "a checkup"],
                &["patient", "date"],
                &["doctor", "start_time"]
            ),
            tool!(
                &["log_workout", "record_exercise", "add_activity"],
                &["Log a workout.", "Record an exercise session."],
                "log",
                &["log", "record", "add"],
                &["a workout", "my workout", ""],
                &["exercise", "duration"],
                &["date"]
            ),
            tool!(
                &["log_weight", "record_weight"],
                &["Record body weight.", "Log today's weight."],
                "record",
                &["log", "record", "note"],
                &["my weight", "weight"],
                &["weight"],
                &["date"]
            ),
            tool!(
                &["set_medication_reminder", "medication_reminder"],
                &[
                    "Remind the user to take a medication.",
                    "Set a pill reminder."
                ],
                "remind",
                &["remind me about", "set a reminder for"],
                &["my medication", "my pills"],
                &["dose_mg", "start_time"],
                &[]
            ),
        ],
    },
    Domain {
        name: "education",
        systems: &[
            "You are a school's teaching assistant.",
            "You help teachers and students.",
        ],
        tools: &[
            tool!(
                &["enroll_student", "register_student"],
                &[
                    "Enroll a student in a course.",
                    "Register a student for a class."
                ],
                "enroll",
                &["enroll", "register", "sign up"],
                &["student", ""],
                &["student_id", "course"],
                &[]
            ),
            tool!(
                &["record_grade", "submit_grade", "set_grade"],
                &["Record a student's grade.", "Enter a grade."],
                "record",
                &["record", "enter", "give"],
                &["a grade", "the grade", ""],
                &["student_id", "grade"],
                &["course"]
            ),
            tool!(
                &["create_quiz", "generate_quiz", "make_quiz"],
                &["Create a quiz on a topic.", "Generate practice questions."],
                "create",
                &["create", "make", "generate", "write"],
                &["a quiz", "a practice quiz", "questions"],
                &["topic"],
                &["difficulty", "limit"]
            ),
            tool!(
                &["explain_topic", "get_lesson"],
                &["Fetch a short lesson on a topic.", "Get a lesson."],
                "explain",
                &["explain", "teach me", "get a lesson"],
                &[""],
                &["topic"],
                &["difficulty"]
            ),
        ],
    },
    Domain {
        name: "weather",
        systems: &["You are a weather assistant.", ""],
        tools: &[
            tool!(
                &["get_weather", "current_weather", "weather_now"],
                &[
                    "Get the current weather in a city.",
                    "Current conditions for a place."
                ],
                "get",
                &["what's", "check", "get"],
                &["the weather", "the weather like", "conditions"],
                &["city"],
                &["unit"]
            ),
            tool!(
                &["get_forecast", "weather_forecast", "forecast"],
                &[
                    "Get the weather forecast for a city.",
                    "Forecast for the coming days."
                ],
                "get",
                &["get", "show", "what's"],
                &["the forecast", "the weather forecast"],
                &["city"],
                &["days", "unit"]
            ),
            tool!(
                &["air_quality", "get_air_quality"],
                &[
                    "Get the air quality index for a city.",
                    "Check air quality."
                ],
                "check",
                &["check", "get", "how is"],
                &["air quality", "the air quality"],
                &["city"],
                &[]
            ),
        ],
    },
    Domain {
        name: "food",
        systems: &[
            "You take food orders.",
            "You are a restaurant booking assistant.",
        ],
        tools: &[
            tool!(
                &["order_food", "food_delivery", "place_food_order"],
                &[
                    "Order food for delivery.",
                    "Order a meal from a restaurant."
                ],
                "order",
                &["order", "get me", "deliver"],
                &[""],
                &["dish", "restaurant"],
                &["quantity", "note", "address"]
            ),
            tool!(
                &["reserve_table", "book_table"],
                &["Reserve a restaurant table.", "Book a table."],
                "reserve",
                &["book", "reserve", "get"],
                &["a table", "a reservation"],
                &["restaurant", "party_size", "date"],
                &["start_time"]
            ),
            tool!(
                &["find_restaurants", "search_restaurants"],
                &["Find restaurants in a city.", "Search places to eat."],
                "find",
                &["find", "search", "recommend"],
                &["restaurants", "places to eat", "a restaurant"],
                &["city"],
                &["limit", "max_price"]
            ),
        ],
    },
    Domain {
        name: "music",
        systems: &[
            "You control the music player.",
            "You are a music assistant.",
        ],
        tools: &[
            tool!(
                &["play_song", "play_track", "play_music"],
                &["Play a song.", "Start playing a track."],
                "play",
                &["play", "put on", "start"],
                &[""],
                &["song"],
                &["artist", "shuffle"]
            ),
            tool!(
                &["set_volume", "change_volume"],
                &["Set the playback volume.", "Change the volume."],
                "set",
                &["set", "turn", "change"],
                &["the volume", "volume"],
                &["volume"],
                &[]
            ),
            tool!(
                &["create_playlist", "make_playlist"],
                &["Create a playlist.", "Make a new playlist."],
                "create",
                &["create", "make", "start"],
                &["a playlist", "a new playlist"],
                &["title"],
                &["tags"]
            ),
        ],
    },
    Domain {
        name: "work",
        systems: &[
            "You are the company's IT and HR helpdesk bot.",
            "You help employees.",
        ],
        tools: &[
            tool!(
                &["create_ticket", "open_ticket", "report_issue"],
                &["Open an IT support ticket.", "Report a problem to IT."],
                "report",
                &["open a ticket", "report", "log"],
                &["", "a problem", "an issue"],
                &["description"],
                &["priority"]
            ),
            tool!(
                &["close_ticket", "resolve_ticket"],
                &["Close a support ticket.", "Mark a ticket resolved."],
                "close",
                &["close", "resolve"],
                &["ticket", "issue"],
                &["ticket_id"],
                &["note"]
            ),
            tool!(
                &["request_time_off", "book_leave", "vacation_request"],
                &["Request time off.", "Book vacation days."],
                "request",
                &["request", "book", "take"],
                &["time off", "vacation", "leave"],
                &["start_date", "days"],
                &["note"]
            ),
            tool!(
                &["lookup_employee", "find_colleague", "employee_directory"],
                &[
                    "Look up an employee in the directory.",
                    "Find a colleague's details."
                ],
                "find",
                &["find", "look up"],
                &["", "the contact for"],
                &["employee"],
                &[]
            ),
            tool!(
                &["get_holidays", "public_holidays"],
                &[
                    "List public holidays of a country.",
                    "Get a country's holidays."
                ],
                "list",
                &["list", "show", "what are"],
                &["the public holidays", "holidays"],
                &["country"],
                &[]
            ),
        ],
    },
];
