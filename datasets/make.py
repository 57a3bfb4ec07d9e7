"""Writes the example datasets that ship with tooltune (CLI and web app):
customer support (the lesson's catalogue), a public library and a vet clinic.
Each: tools.json, train.jsonl, test.jsonl (OpenAI chat JSONL, each line with
its own `tools` and `"parallel_tool_calls": false`: every answer is one call
or none, so two calls in one turn are invalid, as in the playground's rows). No-tool rows: 18 % of training (chit-chat, questions no tool
answers, requests for tools the catalogue lacks, underspecified requests),
15 % of tests. Test phrasings are disjoint from training phrasings; training
requests vary in casing, punctuation, greetings and courtesies. The built-in
model's pretraining corpus has none of these tools.

Deterministic: one seeded generator per dataset and split, so adding training
phrasings never changes a test split. Run: python3 datasets/make.py
(N_TRAIN=300 OUT=/tmp/d for bigger training splits elsewhere).

The training splits have 200 rows (since 8 December; 120 before) in 10-25
phrasings per tool: the first 7-16 written alongside the test
phrasings, the rest (MORE_TRAIN) by a writer who saw neither held-out
split, filtered so no held-out phrasing shares a word 4-gram, a 3-gram of
two content words or a bigram of two content words with them
(docs/model-history.md, "Tried since: more training phrasings").

The test splits are wide (since 6 December): six phrasings per tool (eight
for track_order) and eight no-tool requests, disjoint from training, each
said about twice in the 60 rows. Until then they had two per tool (four for
track_order) and four no-tool requests, each said six or seven times, so
one misrouted phrasing moved call accuracy by about 0.12 (docs/model-history.md, "How
coarse the test sets are"); that split is this script at commit 760768f.

dev.jsonl (since 6 December) is a third split for choosing between bases
and recipes without looking at the test split: four more phrasings per
tool and four no-tool requests, disjoint from both, 60 rows. It stays out
of the web app (scripts/build-web.sh copies train and test only).
"""
import json, os, random, re

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", HERE)
N_TRAIN = int(os.environ.get("N_TRAIN", "200"))
# One generator per (dataset, split), so adding training phrasings never moves a
# test split's values; `rows` reseeds it.
rng = random.Random()


def fn(name, desc, props, required):
    return {"type": "function", "function": {"name": name, "description": desc, "parameters": {
        "type": "object", "properties": props, "required": required, "additionalProperties": False}}}


def call(i, name, args):
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


# Each task: (tool, [train templates], [test templates], argument drawer)
# Templates use {slot} for values; the drawer returns (slots, arguments).

def oid():
    return f"ORD-{rng.randint(1000, 99999)}"


SUPPORT_TOOLS = json.load(open(os.path.join(HERE, "..", "tests", "fixtures", "support", "tools.json")))
SUPPORT_SYSTEM = "You route customer-support requests to tools. If no tool fits, answer directly."
REASONS = {"damaged": ["arrived broken", "came damaged", "was smashed in the box"],
           "late": ["is two weeks late", "never arrived on time", "is very late"],
           "wrong_item": ["is the wrong item", "is not what I ordered", "came in the wrong size"],
           "other": ["is just not for me", "changed my mind about it"]}
ESCALATE = ["billing dispute", "account locked", "legal complaint", "rude courier", "data privacy request",
            "charged twice", "missing invoice", "warranty claim"]


def support_track():
    o = oid()
    return {"o": o}, {"order_id": o}


def support_refund():
    o, r = oid(), rng.choice(list(REASONS))
    return {"o": o, "why": rng.choice(REASONS[r])}, {"order_id": o, "reason": r}


def support_escalate():
    r = rng.choice(ESCALATE)
    return {"r": r}, {"reason": r}


SUPPORT = {
    "tools": SUPPORT_TOOLS, "system": SUPPORT_SYSTEM,
    "tasks": [
        ("track_order", ["Where's my order {o}?", "Track {o} please", "Status of {o}?", "has {o} shipped yet",
                         "can you check on order {o}", "any news on {o}?",
                         "what's happening with order {o}", "I ordered {o} last week, has it been sent?", "tracking for {o}",
                         "{o} status please", "is my package {o} on its way", "check the shipping of {o}", "did {o} ship",
                         "I can't find my parcel {o}", "order number {o}, where is it now?", "{o}: is it delivered?"],
         ["I'm still waiting for {o}, where is it?", "{o} - what's the delivery status", "Could you look up the package {o} for me?",
          "when will {o} arrive"], support_track),
        ("request_refund", ["Order {o} {why}, I want a refund.", "refund {o} please, it {why}", "I'd like my money back for {o}: it {why}",
                          "{o} {why}. I want my money back", "I want a refund for order {o} because it {why}",
                          "please refund order {o}; it {why}", "the item in {o} {why}, refund please",
                          "money back for {o}, it {why}", "refund request: {o} {why}"],
         ["My order {o} {why}. Refund it.", "Please give me a refund on {o} because it {why}"], support_refund),
        ("escalate", ["I need a human agent about a {r}", "escalate this please: {r}", "let me talk to a person, {r}",
                      "I want to speak to a manager about a {r}", "transfer me to a human, {r}",
                      "can a person help me? it's about a {r}", "connect me with an agent: {r}",
                      "{r} - I need a real human", "put me through to staff about a {r}"],
         ["Get me a real person, it's a {r}", "Hand me over to support staff: {r}"], support_escalate),
    ],
    "no_tool": {
        "train": [("Hi!", "Hello! How can I help with your order?"),
                  ("I want a refund.", "I can help with that: which order, and what went wrong?"),
                  ("What's your refund policy?", "Refunds are accepted within 30 days of delivery."),
                  ("Can you book me a flight to Rome?", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                  ("thanks a lot", "You're welcome!"), ("Where is my order?", "Sure — what's the order number?"),
                  ("Hello there", "Hi! How can I help with your order?"), ("good afternoon", "Good afternoon! What can I do for you?"),
                  ("Do you deliver to Germany?", "Yes, we deliver across Europe."),
                  ("My package is late", "Sorry about that — what's the order number?"),
                  ("Can you write me a poem?", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                  ("Book a table for two tonight", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                  ("How long does shipping take?", "Standard shipping takes 3 to 5 days."),
                  ("I'd like to return something", "Happy to help: which order is it, and what's wrong with it?"),
                  ("I want to talk to someone", "Sure — what is it about?"), ("bye", "Goodbye!"),
                  ("Buy me a new phone", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                  ("I need help", "Of course — what is it about?"),
                  ("can I get my money back?", "Yes — which order is it, and what went wrong with it?"),
                  ("refund please", "Sure — which order, and what went wrong?"),
                  ("Which countries do you deliver to?", "We deliver across Europe and North America."),
                  ("Is delivery free?", "Delivery is free on orders over 50 dollars."),
                  ("Order new shoes for me", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                  ("What's the weather like today?", "Sorry, I can only help with orders, refunds and hand-offs to an agent.")],
        "test": [("Good evening", "Good evening! What can I do for you?"),
                 ("Do you ship to Canada?", "Yes, we ship to Canada."),
                 ("I need my money back", "Which order is it, and what went wrong with it?"),
                 ("Order me a pizza", "Sorry, I can only help with orders, refunds and hand-offs to an agent.")],
    },
}

BOOKS = ["Dune", "Moby Dick", "The Hobbit", "Beloved", "Middlemarch", "Emma", "Ulysses", "Persuasion",
         "Rebecca", "Kindred", "Frankenstein", "Dracula"]
BRANCHES = ["central", "riverside", "northgate", "harbour"]


def card():
    return f"LIB-{rng.randint(10000, 99999)}"


def lib_search():
    t = rng.choice(BOOKS)
    return {"t": t}, {"title": t}


def lib_renew():
    c, w = card(), rng.randint(1, 4)
    return {"c": c, "w": w}, {"card_number": c, "weeks": w}


def lib_reserve():
    t, c, b = rng.choice(BOOKS), card(), rng.choice(BRANCHES)
    return {"t": t, "c": c, "b": b}, {"title": t, "card_number": c, "branch": b}


def lib_fine():
    c, amt = card(), rng.choice([1.5, 2, 3.25, 4.75, 6, 0.5])
    return {"c": c, "a": amt}, {"card_number": c, "amount": amt}


LIBRARY = {
    "tools": [
        fn("search_catalogue", "Search the library catalogue for a book by title.", {"title": {"type": "string"}}, ["title"]),
        fn("renew_loans", "Renew every loan on a library card.",
           {"card_number": {"type": "string"}, "weeks": {"type": "integer", "minimum": 1, "maximum": 4, "default": 2}}, ["card_number"]),
        fn("place_hold", "Reserve a book for pickup at a branch.",
           {"title": {"type": "string"}, "card_number": {"type": "string"},
            "branch": {"type": "string", "enum": BRANCHES}}, ["title", "card_number", "branch"]),
        fn("pay_fine", "Pay an overdue fine on a card.",
           {"card_number": {"type": "string"}, "amount": {"type": "number"}}, ["card_number", "amount"]),
    ],
    "system": "You are the city library's assistant.",
    "tasks": [
        ("search_catalogue", ["do you have {t}?", "search for {t}", "is {t} in the catalogue", "look up the book {t}",
                               "can I borrow {t}?", "have you got {t} on the shelves", "check if you own {t}",
                               "{t} - do you stock it?", "search the catalogue: {t}", "any copies of {t} available?"],
         ["I'm looking for a copy of {t}", "find {t} in your collection"], lib_search),
        ("renew_loans", ["renew my books on card {c} for {w} weeks", "extend loans for {c} by {w} weeks", "card {c}: renew everything for {w} weeks",
                          "renew all loans on {c}, {w} weeks please", "my card is {c}, extend everything {w} weeks",
                          "{w} weeks extra for the books on {c}", "can you renew card {c} for {w} more weeks?"],
         ["Please keep my loans ({c}) another {w} weeks", "{w} more weeks on all books for card {c}"], lib_renew),
        ("place_hold", ["reserve {t} for card {c} at the {b} branch", "hold {t} at {b}, my card is {c}", "put {t} on hold for {c}, pickup {b}",
                         "reserve {t} at {b}. card: {c}", "please hold {t} for me at the {b} branch ({c})",
                         "card {c} wants {t} held at {b}", "I'll collect {t} at {b}; reserve it on {c}"],
         ["Can I pick up {t} at {b}? card {c}", "I'd like {t} set aside at the {b} library, card {c}"], lib_reserve),
        ("pay_fine", ["pay {a} dollars of fines on card {c}", "settle my fine of {a} for {c}", "card {c} pay fine {a}",
                      "pay the {a} fine on {c}", "I want to pay {a} in fines, card {c}",
                      "{c}: settle {a} of overdue fines", "charge {a} to clear the fine on card {c}"],
         ["I owe {a} on card {c}, pay it", "clear the {a} overdue charge on {c}"], lib_fine),
    ],
    "no_tool": {
        "train": [("hello", "Hello! Looking for a book?"), ("what are your opening hours?", "We are open 9 to 6, Monday to Saturday."),
                  ("renew my books", "Sure — what's your card number?"), ("can you fix my bike?", "Sorry, I can only help with library services."),
                  ("thank you", "You're welcome!"),
                  ("good afternoon", "Good afternoon! Looking for a book?"), ("when do you close today?", "We close at 6 pm today."),
                  ("I'd like to pay a fine", "Sure — what's your card number, and how much is it?"),
                  ("can you recommend a restaurant?", "Sorry, I can only help with library services."),
                  ("do you have wifi?", "Yes, free wifi is available in every branch."), ("bye", "Goodbye!"),
                  ("do you have a good book for me?", "Sure — which title are you looking for?"),
                  ("put a book on hold for me", "Which book, which branch, and what's your card number?"),
                  ("find me a hotel", "Sorry, I can only help with library services."),
                  ("are you open on public holidays?", "We are closed on public holidays."),
                  ("I want to pay my fines", "Sure — what's your card number, and how much is it?"),
                  ("hold a book please", "Which book, which branch, and what's your card number?"),
                  ("order a pizza for me", "Sorry, I can only help with library services."),
                  ("good evening", "Good evening! Looking for a book?")],
        "test": [("hey there", "Hi! How can I help you today?"), ("Is the library open on Sunday?", "We are closed on Sundays."),
                 ("I want to reserve a book", "Which book, which branch, and what's your card number?"), ("book me a taxi", "Sorry, I can only help with library services.")],
    },
}

PETS = ["Bella", "Max", "Luna", "Charlie", "Milo", "Daisy", "Rocky", "Coco"]
SPECIES = ["dog", "cat", "rabbit", "parrot"]


def vet_book():
    p, s, d = rng.choice(PETS), rng.choice(SPECIES), f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {"p": p, "s": s, "d": d}, {"pet_name": p, "species": s, "date": d}


def vet_refill():
    r = f"RX-{rng.randint(1000, 9999)}"
    return {"r": r}, {"prescription_id": r}


def vet_records():
    p = rng.choice(PETS)
    e = f"{rng.choice(['ana', 'tom', 'li', 'sara', 'omar'])}@example.com"
    return {"p": p, "e": e}, {"pet_name": p, "email": e}


def vet_vaccine():
    p, s = rng.choice(PETS), rng.choice(SPECIES)
    return {"p": p, "s": s}, {"pet_name": p, "species": s}


VET = {
    "tools": [
        fn("book_checkup", "Book a vet checkup for a pet.",
           {"pet_name": {"type": "string"}, "species": {"type": "string", "enum": SPECIES}, "date": {"type": "string"}},
           ["pet_name", "species", "date"]),
        fn("refill_prescription", "Refill a pet's prescription.", {"prescription_id": {"type": "string"}}, ["prescription_id"]),
        fn("send_records", "E-mail a pet's medical records.", {"pet_name": {"type": "string"}, "email": {"type": "string"}},
           ["pet_name", "email"]),
        fn("vaccination_status", "Check which vaccinations a pet is due for.",
           {"pet_name": {"type": "string"}, "species": {"type": "string", "enum": SPECIES}}, ["pet_name", "species"]),
    ],
    "system": "You are the front desk of Green Paws veterinary clinic.",
    "tasks": [
        ("book_checkup", ["book a checkup for my {s} {p} on {d}", "{p} the {s} needs a vet visit on {d}", "schedule {p} ({s}) for {d}",
                         "I'd like a checkup on {d} for {p}, my {s}", "book {p} the {s} in for {d}",
                         "vet visit for my {s} {p}, date {d}", "{d}: checkup for {p} ({s})"],
         ["Can my {s} {p} see the vet on {d}?", "appointment on {d} for {p}, a {s}"], vet_book),
        ("refill_prescription", ["refill {r}", "I need a refill of prescription {r}", "please renew {r}",
                                    "refill prescription {r} please", "{r} needs a refill", "can I get {r} refilled",
                                    "new batch of {r} please"],
         ["{r} is running out, refill it", "Could you refill the meds on {r}?"], vet_refill),
        ("send_records", ["email {p}'s records to {e}", "send the medical file of {p} to {e}", "{e} needs {p}'s records",
                            "please email the records of {p} to {e}", "send {p}'s file to {e}",
                            "records for {p} to {e}, thanks", "can you send {p}'s history to {e}?"],
         ["Forward {p}'s health records to {e} please", "mail the records for {p} to {e}"], vet_records),
        ("vaccination_status", ["which shots is my {s} {p} due for", "check vaccines for {p} the {s}", "is {p} ({s}) up to date on vaccinations",
                                   "what vaccines does {p} my {s} need", "vaccine status for {p} ({s})",
                                   "has my {s} {p} had all the shots", "{p} is a {s}: any vaccinations due?"],
         ["Does {p}, my {s}, need any vaccines?", "vaccination check for my {s} {p}"], vet_vaccine),
    ],
    "no_tool": {
        "train": [("hi", "Hello! How can we help your pet today?"), ("what do you charge for a checkup?", "A standard checkup costs 45 dollars."),
                  ("book a checkup", "Of course — what's your pet's name and species, and which date?"),
                  ("can you groom my horse?", "Sorry, we only handle clinic appointments, prescriptions and records."), ("thanks!", "You're welcome!"),
                  ("hello there", "Hello! How can we help your pet today?"), ("are you open on Saturdays?", "Yes, 9 am to 1 pm on Saturdays."),
                  ("I want to send my pet's records", "Of course — which pet, and to which e-mail address?"),
                  ("can you fix my car?", "Sorry, we only handle clinic appointments, prescriptions and records."),
                  ("how much is a vaccination?", "Vaccinations start at 30 dollars."), ("bye", "Goodbye!"),
                  ("refill my pet's medicine", "Sure — what's the prescription number?"),
                  ("which vaccines are due?", "For which pet, and what species is it?"),
                  ("walk my dog tomorrow", "Sorry, we only handle clinic appointments, prescriptions and records."),
                  ("do you see hamsters?", "We treat dogs, cats, rabbits and parrots."),
                  ("I'd like to book an appointment", "Of course — what's your pet's name and species, and which date?"),
                  ("can I get a refill?", "Sure — what's the prescription number?"),
                  ("buy cat litter for me", "Sorry, we only handle clinic appointments, prescriptions and records."),
                  ("good evening", "Good evening! How can we help your pet today?")],
        "test": [("good morning!", "Good morning! What can we do for you?"), ("Do you treat snakes?", "We treat dogs, cats, rabbits and parrots."),
                 ("I need a refill", "Sure — what's the prescription number?"), ("order dog food for me", "Sorry, we only handle clinic appointments, prescriptions and records.")],
    },
}


# The test split's other phrasings (beside each task's two): per tool, then per dataset's no-tool requests.
MORE_TEST = {
    "track_order": ["Has my parcel {o} left the warehouse?", "Give me an update on shipment {o}",
                    "I haven't received {o} yet. Where is it?", "Track my delivery, the order is {o}"],
    "request_refund": ["Order {o} {why} so I'd like to be reimbursed", "Can I return {o} for my money? It {why}",
                       "{o}: it {why}. Please refund me.", "I demand a refund for {o}, it {why}"],
    "escalate": ["I have a {r} and want to talk to your team", "Escalate my case please, {r}",
                 "A bot can't fix this: {r}. Get a supervisor.", "Can someone from customer service call me about a {r}?"],
    "search_catalogue": ["Does the library carry {t}?", "I want to read {t}, do you have it?", "Search your books for {t}",
                         "Is there a {t} I could borrow?"],
    "renew_loans": ["I need my books longer: card {c}, {w} weeks", "Extend the due dates on {c} by {w} weeks",
                    "Could I keep everything on card {c} for {w} more weeks?", "Renew what I borrowed on {c} for {w} weeks"],
    "place_hold": ["Save {t} for me at {b}, my card number is {c}", "Please reserve a copy of {t} at the {b} branch for card {c}",
                   "Card {c}: I want to collect {t} from {b}", "Keep {t} aside at {b} for {c}"],
    "pay_fine": ["Take {a} for the late fee on card {c}", "I'd like to settle my {a} penalty, card {c}",
                 "Pay off {a} owed on {c}", "My card {c} has a {a} fine, let me pay it"],
    "book_checkup": ["Please fit {p} in on {d}, she's a {s}", "My {s} {p} needs an exam on {d}",
                     "Reserve a slot on {d} for {p} ({s})", "Could the doctor examine {p} the {s} on {d}?"],
    "refill_prescription": ["We're almost out of {r}, please top it up", "Repeat prescription {r}",
                            "Can {r} be refilled today?", "Please reorder the medicine on {r}"],
    "send_records": ["Our new vet at {e} needs {p}'s file", "Share {p}'s medical history with {e}",
                     "Could {p}'s records go to {e}?", "Please e-mail {e} everything you have on {p}"],
    "vaccination_status": ["Are {p}'s jabs up to date? {p} is a {s}", "When is my {s} {p} due for the next shot?",
                           "Look up which vaccinations {p} the {s} still needs", "Is {p} ({s}) missing any vaccines?"],
}
MORE_NO_TOOL = {
    "support": [("Something is wrong with my order", "Sorry to hear that — what's the order number, and what happened?"),
                ("Do you sell gift cards?", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                ("Translate this into French for me", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                ("Thanks, that's all", "You're welcome! Have a good day.")],
    "library": [("I'd like to renew my loans", "Sure — what's your card number?"),
                ("Can I print documents here?", "Yes, every branch has printers."),
                ("What's the capital of Peru?", "Sorry, I can only help with library services."),
                ("Cheers, bye", "Goodbye!")],
    "vet": [("My cat needs a checkup", "Of course — what's your cat's name, and which date?"),
            ("Do you have parking?", "Yes, there is free parking behind the clinic."),
            ("Book me a haircut", "Sorry, we only handle clinic appointments, prescriptions and records."),
            ("Thank you so much", "You're welcome!")],
}


# The dev split's phrasings: disjoint from the training and the test ones.
DEV = {
    "track_order": ["What's the ETA for {o}?", "Is {o} out for delivery yet?", "Can you trace shipment {o}?",
                    "I'd like to know where parcel {o} is"],
    "request_refund": ["{o} {why}; can I get my money returned?", "Please process a refund for {o} as it {why}",
                       "I'm owed a refund on {o} - it {why}", "Send my money back for {o}, it {why}"],
    "escalate": ["Put a human on the line, {r}", "This needs a supervisor: {r}",
                 "I'd rather deal with a real agent about a {r}", "Let a staff member handle my {r}"],
    "search_catalogue": ["Could you find {t} for me?", "I'm hoping to borrow {t}, is it in?",
                         "Look for {t} in the catalogue please", "Does any branch own {t}?"],
    "renew_loans": ["Push back my due dates by {w} weeks, card {c}", "Can my loans on {c} run {w} weeks longer?",
                    "Lengthen my loans by {w} weeks ({c})", "My due dates on {c} need {w} more weeks"],
    "place_hold": ["Can {t} wait for me at the {b} branch? Card {c}", "Book {t} for collection at {b}, card number {c}",
                   "Have {t} ready at {b} for card {c}", "Please put a hold on {t}, {b} branch, card {c}"],
    "pay_fine": ["I'll pay the {a} I owe in late fees, card {c}", "Put {a} toward the fine on card {c}",
                 "Card {c} owes a {a} fine, I'd like to pay now", "Clear my {a} late fee, card {c}"],
    "book_checkup": ["Can {p}, my {s}, come in for a checkup on {d}?", "Set up an appointment for my {s} {p} on {d}",
                     "I'd like to bring {p} the {s} in on {d}", "Checkup please: {p}, {s}, {d}"],
    "refill_prescription": ["We need more of {r}", "Order another round of {r}", "{r} - time for a refill",
                            "Is it possible to refill {r}?"],
    "send_records": ["Send {p}'s vet records over to {e}", "Could you e-mail {p}'s chart to {e}?",
                     "{e} should get a copy of {p}'s records", "Please pass {p}'s medical notes to {e}"],
    "vaccination_status": ["Check {p}'s vaccine record, she's a {s}", "Does my {s} {p} need a booster?",
                           "Which immunisations are due for {p}, my {s}?", "Is {p} the {s} current on vaccines?"],
}
DEV_NO_TOOL = {
    "support": [("Good morning", "Good morning! What can I do for you?"),
                ("Do you have a store in Paris?", "Sorry, I can only help with orders, refunds and hand-offs to an agent."),
                ("My parcel hasn't come", "Sorry about that — what's the order number?"),
                ("Tell me a joke", "Sorry, I can only help with orders, refunds and hand-offs to an agent.")],
    "library": [("good morning", "Good morning! Looking for a book?"),
                ("Do you have a quiet study room?", "Yes, every branch has study rooms."),
                ("I want to borrow a book", "Sure — which title are you looking for?"),
                ("Book me a flight to Oslo", "Sorry, I can only help with library services.")],
    "vet": [("hey", "Hello! How can we help your pet today?"),
            ("Do you do house calls?", "Sorry, we only see pets at the clinic."),
            ("Send my dog's records", "Of course — which pet, and to which e-mail address?"),
            ("Fix my laptop please", "Sorry, we only handle clinic appointments, prescriptions and records.")],
}



# More training phrasings (8 December), written for tooltune by a writer who saw the
# catalogues and the training phrasings above but neither the test nor the dev split;
# of the 132 written, those sharing a word 4-gram (slots as words), a 3-gram with two
# content words or a bigram of two content words with any test or dev phrasing were
# dropped (`held_out_overlap` checks the ones kept), so the held-out splits' phrasings
# stay unseen in training.
MORE_TRAIN = {
    "track_order": [
        "Any idea when {o} will turn up?",
        "I've been waiting ages for {o}, where has it got to?",
        "Could you tell me whether {o} has been dispatched?",
        "{o} still hasn't arrived. Can you see where it is?",
        "Would it be possible to get a delivery update for {o}?",
        "Is {o} stuck somewhere? The tracking page hasn't moved in days",
        "when should I expect {o} to land",
        "Can I get an update on the whereabouts of {o}?",
        "Has the courier picked up {o} yet?",
    ],
    "request_refund": [
        "Would it be possible to return {o} for a refund? It {why}.",
        "The parcel {o} {why}; I'd like to claim a refund",
        "{o}: it {why}. Reimburse me please",
        "So disappointed, {o} {why}. Could you refund the full amount?",
    ],
    "escalate": [
        "Can I speak with someone from your team regarding a {r}?",
        "Please pass me to a supervisor, I've got a {r}",
        "{r}: I need to talk to someone, not a bot",
        "Could you hand this over to a member of staff? It's a {r}.",
        "I'd like to raise a {r} with a human representative",
        "Who can I speak to about a {r}? A human, please.",
    ],
    "search_catalogue": [
        "would you happen to have {t}",
        "{t} — is that something you've got?",
        "Could you check the catalogue for {t}?",
        "hunting for {t}, any luck?",
        "Does your collection include {t}?",
        "Is {t} something I could check out here?",
        "Can you see if {t} is listed in your system?",
    ],
    "renew_loans": [
        "renew all on {c}, {w} wks",
        "Haven't finished my books yet, can you renew them for {w} weeks on card {c}?",
        "{w}-week renewal on all items for card {c}, please",
    ],
    "place_hold": [
        "Can you reserve {t} on card {c}? I'll pick it up from {b}.",
        "{c} here, could you save {t} for pickup at {b}?",
        "hold request: {t} / {c} / {b}",
    ],
    "pay_fine": [
        "Would it be possible to pay my {a} overdue fine? Card {c}.",
        "card {c}, paying {a} toward my fines",
        "Can I pay the {a} penalty on {c} today?",
    ],
    "book_checkup": [
        "{p} (our {s}) is due an annual check — can we come in on {d}?",
        "make an appointment: {s}, name {p}, {d}",
        "Would it be possible to book {p} the {s} for a wellness exam on {d}?",
        "On {d}, could the vet give my {s} {p} a routine check?",
        "We just adopted a {s} called {p} and want a first checkup on {d}",
        "Book a routine exam for {p}, species {s}, date {d}",
    ],
    "refill_prescription": [
        "Could you top up prescription {r}?",
        "Please order more medication under {r}",
        "I'd like to request more of the medicine on prescription {r}",
        "{r} is nearly finished, please refill",
        "can you put in a refill for {r}",
        "Could we get another supply of {r}?",
        "Prescription {r} ran out yesterday, I need more",
        "Hi, I need to refill my cat's prescription, it's {r}",
    ],
    "send_records": [
        "{e} - please send {p}'s files there",
        "I need {p}'s paperwork emailed to me at {e}",
        "The insurance company wants {p}'s records. Send them to {e}, please.",
        "Forward the clinic notes for {p} to this address: {e}",
    ],
    "vaccination_status": [
        "When are my {s} {p}'s next jabs due?",
        "Can you check whether {p} the {s} needs any vaccines soon?",
        "I've lost track of my {s} {p}'s vaccinations — what's outstanding?",
        "Would you be able to tell me if {p} the {s} is overdue for any vaccines?",
        "{p} is going into boarding next month — which vaccines is my {s} missing?",
        "Has {p} the {s} missed any vaccines?",
    ],
}

STOPWORDS = set("a an the my me i i'd i'm is are be to for of on in at it its it's and or please can could you your "
                "we our this that with what which when where has have had do does any some get need needs would like "
                "there here so by from up".split())


def words(t):
    return re.findall(r"\{\w+\}|[a-z0-9']+", t.lower())


def held_out_overlap(t, held):
    """The word n-grams a training phrasing shares with held-out ones: any 4-gram
    (slots count as words), a 3-gram with two content words, a bigram of two."""
    def grams(w, n):
        return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}

    def content(g):
        return sum(1 for x in g if x not in STOPWORDS and not x.startswith("{") and x != "'s")

    mine, shared = words(t), set()
    for h in held:
        theirs = words(h)
        shared |= grams(mine, 4) & grams(theirs, 4)
        shared |= {g for n in (2, 3) for g in grams(mine, n) & grams(theirs, n) if content(g) >= 2}
    return shared


HELD_OUT = [t for spec in (SUPPORT, LIBRARY, VET) for (tool, _, test_t, _) in spec["tasks"]
            for t in test_t + MORE_TEST[tool] + DEV[tool]]
for tool, more in MORE_TRAIN.items():
    for t in more:
        assert not held_out_overlap(t, HELD_OUT), (tool, t, held_out_overlap(t, HELD_OUT))


# Training requests as people type them: casing, punctuation, a greeting or a
# courtesy around the request (on the template, so slot values keep their case). Test requests are left as their templates write them.
OPENERS = ["hi, ", "hello! ", "hey - ", "good morning, ", "quick one: "]
CLOSERS = [" thanks", " please", " thank you!", " asap", " cheers"]


def vary(text):
    if rng.random() < 0.25:
        text = text.lower()
    if rng.random() < 0.2:
        text = text.rstrip("?.!")
    if rng.random() < 0.15:
        text = rng.choice(OPENERS) + text[0].lower() + text[1:]
    if rng.random() < 0.15:
        text = text + rng.choice(CLOSERS)
    return text


def rows(name, spec, split, n, seed):
    rng.seed(seed)
    out, seen = [], set()
    n_no = round(n * (0.18 if split == "train" else 0.15))
    no = {"train": spec["no_tool"]["train"], "test": spec["no_tool"]["test"] + MORE_NO_TOOL[name],
          "dev": DEV_NO_TOOL[name]}[split]
    i = 0
    while len(out) < n - n_no:
        tool, train_t, test_t, draw = spec["tasks"][i % len(spec["tasks"])]
        i += 1
        slots, args = draw()
        template = rng.choice({"train": train_t + MORE_TRAIN[tool], "test": test_t + MORE_TEST[tool], "dev": DEV[tool]}[split])
        text = (vary(template) if split == "train" else template).format(**slots)
        msgs = [{"role": "system", "content": spec["system"]}, {"role": "user", "content": text},
                {"role": "assistant", "tool_calls": [call(1, tool, args)]}]
        key = json.dumps(msgs)
        if key in seen:
            continue
        seen.add(key)
        out.append({"messages": msgs, "tools": spec["tools"], "parallel_tool_calls": False})
    suffixes = ["", " please", "!", " :)", "?", " thanks", "...", " (sorry)"]
    for k in range(n_no):
        u, a = no[k % len(no)]
        u = u + suffixes[(k // len(no)) % len(suffixes)]
        out.append({"messages": [{"role": "system", "content": spec["system"]}, {"role": "user", "content": u},
                                 {"role": "assistant", "content": a}], "tools": spec["tools"],
                    "parallel_tool_calls": False})
    rng.shuffle(out)
    return out


for name, spec in [("support", SUPPORT), ("library", LIBRARY), ("vet", VET)]:
    n_train, n_test = N_TRAIN, 60
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    json.dump(spec["tools"], open(os.path.join(d, "tools.json"), "w"), indent=2)
    for split, n in [("train", n_train), ("test", n_test), ("dev", n_test)]:
        with open(os.path.join(d, f"{split}.jsonl"), "w") as f:
            for r in rows(name, spec, split, n, f"{name}/{split}/11"):
                f.write(json.dumps(r) + "\n")
print(f"wrote {OUT}/{{support,library,vet}}/{{tools.json,train.jsonl,test.jsonl,dev.jsonl}}")
