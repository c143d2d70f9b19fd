"""Word lists for the embedded note generator.

Written for phibench: common given names and surnames as in public US name
frequency lists, invented hospitals, streets and e-mail domains. Modest on
purpose: the generator is a test bed, not a name dictionary. Cities and states
are real place names (facts, not records); ZIP codes are random digits.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES_F = _words(
    "Mary Patricia Linda Barbara Elizabeth Jennifer Maria Susan Margaret Dorothy "
    "Lisa Nancy Karen Betty Helen Sandra Donna Carol Ruth Sharon Michelle Laura "
    "Sarah Kimberly Deborah Jessica Shirley Cynthia Angela Melissa Brenda Amy Anna "
    "Rebecca Virginia Kathleen Pamela Martha Debra Amanda Stephanie Carolyn Christine "
    "Marie Janet Catherine Frances Ann Joyce Diane Alice Julie Heather Teresa Doris "
    "Gloria Evelyn Jean Cheryl Mildred Katherine Joan Ashley Judith Rose Janice Kelly "
    "Nicole Judy Christina Kathy Theresa Beverly Denise Tammy Irene Jane Lori Rachel "
    "Marilyn Andrea Kathryn Louise Sara Anne Jacqueline Wanda Bonnie Julia Ruby Lois "
    "Tina Phyllis Norma Paula Diana Annie Lillian Emily Robin Peggy Crystal Gladys"
)

FIRST_NAMES_M = _words(
    "James John Robert Michael William David Richard Charles Joseph Thomas "
    "Christopher Daniel Paul Mark Donald George Kenneth Steven Edward Brian Ronald "
    "Anthony Kevin Jason Matthew Gary Timothy Jose Larry Jeffrey Frank Scott Eric "
    "Stephen Andrew Raymond Gregory Joshua Jerry Dennis Walter Patrick Peter Harold "
    "Douglas Henry Carl Arthur Ryan Roger Joe Juan Jack Albert Jonathan Justin Terry "
    "Gerald Keith Samuel Willie Ralph Lawrence Nicholas Roy Benjamin Bruce Brandon "
    "Adam Harry Fred Wayne Billy Steve Louis Jeremy Aaron Randy Howard Eugene Carlos "
    "Russell Bobby Victor Martin Ernest Phillip Todd Jesse Craig Alan Shawn Clarence "
    "Sean Philip Chris Johnny Earl Jimmy Antonio Danny Bryan Tony Luis Mike Stanley"
)

SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez "
    "Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee "
    "Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young "
    "Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez "
    "Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell "
    "Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Fisher "
    "Oduya Okafor Kowalski Novak Haddad Nakamura Chen Wang Singh Kaur Ivanova "
    "Schneider Dubois Rossi Moreau Lindqvist OConnell Byrne Quartey Mensah"
)

#: (city, state abbreviation) pairs
CITIES = (
    ("Boston", "MA"),
    ("Worcester", "MA"),
    ("Springfield", "MA"),
    ("Quincy", "MA"),
    ("Lowell", "MA"),
    ("Brockton", "MA"),
    ("Providence", "RI"),
    ("Nashua", "NH"),
    ("Hartford", "CT"),
    ("Baltimore", "MD"),
    ("Rockville", "MD"),
    ("Albany", "NY"),
    ("Buffalo", "NY"),
    ("Newark", "NJ"),
    ("Trenton", "NJ"),
    ("Scranton", "PA"),
    ("Portland", "ME"),
    ("Burlington", "VT"),
    ("Columbus", "OH"),
    ("Dayton", "OH"),
)

STATE_NAMES = {
    "MA": "Massachusetts",
    "RI": "Rhode Island",
    "NH": "New Hampshire",
    "CT": "Connecticut",
    "MD": "Maryland",
    "NY": "New York",
    "NJ": "New Jersey",
    "PA": "Pennsylvania",
    "ME": "Maine",
    "VT": "Vermont",
    "OH": "Ohio",
}

STREET_NAMES = _words(
    "Maple Oak Pine Cedar Elm Washington Lake Hill Park Main Church Spring "
    "Highland Prospect Chestnut Walnut Summer Winter Pleasant Union Forest River "
    "Meadow Ridge Sunset Franklin Lincoln Jefferson Madison Adams"
)
STREET_SUFFIXES = ("Street", "St", "Avenue", "Ave", "Road", "Rd", "Lane", "Drive")

HOSPITALS = (
    "Riverside General Hospital",
    "Saint Brendan Medical Center",
    "North Shore Community Hospital",
    "Harbor View Hospital",
    "Mount Calder Medical Center",
    "Eastfield Memorial Hospital",
    "Lakeside Regional Hospital",
    "Greenvale Hospital",
)
HOSPITAL_SHORT = ("RGH", "SBMC", "NSCH", "HVH", "MCMC", "EMH", "LRH", "GVH")

DEPARTMENTS = ("Cardiology", "Oncology Clinic", "Renal Unit", "Gastroenterology")

PROFESSIONS = (
    "teacher",
    "electrician",
    "truck driver",
    "accountant",
    "nurse",
    "carpenter",
    "software engineer",
    "postal worker",
    "firefighter",
    "chef",
    "librarian",
    "farmer",
    "plumber",
    "bus driver",
    "retired machinist",
    "dental hygienist",
)

#: relation words by the relative's sex (female, male)
RELATIONS = (
    ("wife", "daughter", "sister", "niece", "mother"),
    ("husband", "son", "brother", "nephew", "father"),
)

EMAIL_DOMAINS = ("mailhub.net", "postbox.org", "inboxly.com", "letterbay.net")
PORTAL_HOSTS = ("portal.rivergen.org", "myhealth.stbrendan.org", "chart.nsch.org")
COUNTRIES = ("Portugal", "Ghana", "Poland", "Vietnam", "Haiti", "Ireland")
EMPLOYERS = (
    "Bayside Freight",
    "Corliss Tool and Die",
    "Northgate Public Schools",
    "Hanley Bakery",
    "Tri-County Transit",
    "Ardent Insurance Group",
)
