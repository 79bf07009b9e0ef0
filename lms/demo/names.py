"""Invented place, street and organisation names for the demo borough.

Everything here is fictional: the borough of Hartmoor, its localities, streets and
organisations do not exist. Postcodes use the made-up "HM" area, which is not a real UK
postcode area. People's names come from Faker (en_GB) at load time.
"""
from __future__ import annotations

BOROUGH = "Hartmoor"
PARTNERSHIP_NAME = "Hartmoor Borough Safeguarding Children Partnership"
POSTCODE_AREA = "HM"

# code, display name, localities, postcode districts (numbers after "HM")
AREAS = [
    ("north", "North (Ashcombe and Thornley Edge)", ["Ashcombe", "Thornley Edge", "Kelsey Green", "Brackwell"], [1, 2, 3, 4]),
    ("south", "South (Fenmarsh and Larchmere)", ["Fenmarsh", "Larchmere", "Sowerby Cross", "Halden Row"], [5, 6, 7, 8]),
    ("east", "East (Dunholt and Marram Vale)", ["Dunholt", "Marram Vale", "Eastwick Moor", "Penbury Hythe"], [9, 10, 11, 12]),
    ("west", "West (Saltmere and Bramblecote)", ["Saltmere", "Bramblecote", "Westholme Park", "Orrin Ford"], [13, 14, 15, 16]),
]

STREETS = [
    "Church Lane", "Mill Road", "Station Road", "Victoria Street", "Chapel Row", "Orchard Way",
    "Brook Street", "Meadow Close", "Park Avenue", "Queens Road", "Market Place", "Quarry Lane",
    "Ferndale Drive", "Ropewalk", "Tannery Lane", "Beacon Hill", "Canal Side", "Elm Grove",
    "Kiln Lane", "Foundry Street", "Hawthorn Crescent", "Lime Walk", "Nursery Gardens", "Sandpit Lane",
    "Weavers Court", "Wharf Road", "Abbey Road", "Goose Green", "Linnet Way", "Old School Lane",
    "Pinfold Lane", "Rectory Road", "Saxon Way", "Tithe Barn Close", "Well Street", "Windmill Rise",
]

# Words for school, nursery and practice names.
FEATURES = [
    "Larkrise", "Oakfield", "Willowbank", "Hillside", "Brookfield", "Greenway", "Beechwood",
    "Meadowside", "Rowan", "Ashgrove", "Heathfield", "Riverside", "Elmhurst", "Fernhill",
    "Hazelmere", "Kingfisher", "Linden", "Maple Tree", "Northgate", "Parkland", "Redwood",
    "Sandford", "Springfield", "Thistledown", "Westfield", "Wildflower", "Yew Tree", "Chestnut",
    "Cedar", "Foxglove", "Bluebell", "Hollybush", "Juniper", "Lavender", "Millbrook", "Orchard",
    "Poplar", "Sycamore", "Wren", "Skylark", "Badger Hill", "Copperfield", "Dovecote", "Fairholme",
    "Goldcrest", "Harebell", "Ivy Lane", "Moorland",
]

SAINTS = ["Aidan", "Anne", "Bede", "Cuthbert", "Hilda", "John", "Luke", "Margaret", "Mark", "Mary",
          "Michael", "Oswald", "Patrick", "Peter", "Teresa", "Thomas", "Wilfrid", "Chad"]

CHARITIES = [
    "Hartmoor Young Carers", "Hartmoor Family Support Network", "Open Door Counselling Hartmoor",
    "Hartmoor Domestic Abuse Service", "Hartmoor Parent Carer Forum", "Hartmoor Refugee Welcome",
    "Lantern Bereavement Support", "Hartmoor Community Food Bank", "Stepping Stones Mentoring",
    "Hartmoor Youth Counselling Project", "New Leaf Recovery Hartmoor", "Harbour Homes Hartmoor",
]

FAITH_GROUPS = [
    "St {saint}'s Parish Church", "Hartmoor Central Mosque", "{locality} Methodist Church",
    "{locality} Baptist Church", "Hartmoor Gurdwara", "Hartmoor Reform Synagogue",
    "{locality} Community Church", "Hartmoor Hindu Mandir",
]

SPORTS_YOUTH = [
    "{locality} Juniors Football Club", "Hartmoor Swimming Club", "{locality} Scout Group",
    "Hartmoor Youth Theatre", "{locality} Amateur Boxing Club", "Hartmoor Gymnastics Academy",
    "{locality} Youth Club", "Hartmoor Cricket Club Juniors",
]

# Fixed organisations: type code, name, area code (None: borough-wide).
FIXED_ORGANISATIONS = [
    ("all-through-school", "Hartmoor Park All-Through School", "south"),
    ("alternative-provision", "Hartmoor Pupil Referral Unit", "east"),
    ("alternative-provision", "Compass Learning Centre", "west"),
    ("fe-college", "Hartmoor College", "north"),
    ("fe-college", "Fenmarsh Sixth Form College", "south"),
    ("mat-central", "Skylark Learning Trust", "north"),
    ("mat-central", "Hartmoor Diocesan Academies Trust", None),
    ("mat-central", "Three Rivers Academy Trust", "west"),
    ("hospital-trust", "Hartmoor and District Hospitals NHS Trust", "east"),
    ("community-health", "Hartmoor Community Health: health visiting", None),
    ("community-health", "Hartmoor Community Health: school nursing", None),
    ("mental-health-trust", "Hartmoor and Vale Mental Health NHS Trust", "west"),
    ("icb", "Hartmoor and Vale Integrated Care Board", None),
    ("police", "Hartmoor and Vale Police: North neighbourhood team", "north"),
    ("police", "Hartmoor and Vale Police: South neighbourhood team", "south"),
    ("police", "Hartmoor and Vale Police: East neighbourhood team", "east"),
    ("police", "Hartmoor and Vale Police: West neighbourhood team", "west"),
    ("police", "Hartmoor and Vale Police: child abuse investigation team", None),
    ("childrens-social-care", "Hartmoor Council: children's front door", None),
    ("childrens-social-care", "Hartmoor Council: assessment and intervention team", None),
    ("childrens-social-care", "Hartmoor Council: children in care team", None),
    ("childrens-social-care", "Hartmoor Council: fostering and adoption team", None),
    ("early-help", "Hartmoor Council: early help north", "north"),
    ("early-help", "Hartmoor Council: early help south", "south"),
    ("early-help", "Hartmoor Council: early help east", "east"),
    ("early-help", "Hartmoor Council: early help west", "west"),
    ("education-inclusion", "Hartmoor Council: education and inclusion service", None),
    ("youth-justice", "Hartmoor Youth Justice Service", None),
    ("housing", "Hartmoor Council: housing options", None),
    ("council-other", PARTNERSHIP_NAME + " business unit", None),
    ("council-other", "Hartmoor Libraries", None),
    ("probation", "Hartmoor Probation Delivery Unit", None),
    ("fire-rescue", "Hartmoor and Vale Fire and Rescue Service", None),
    ("cafcass", "Cafcass: Hartmoor family court team", None),
    ("childrens-home", "Rowan House Children's Home", "north"),
    ("childrens-home", "Kestrel Lodge Children's Home", "east"),
    ("childrens-home", "Brook Cottage Children's Home", "west"),
    ("fostering-agency", "Kinder Hearth Fostering", "south"),
    ("fostering-agency", "Hartmoor Family Placements", None),
    ("adult-social-care", "Hartmoor Council: adult social care", None),
]

# The school and nursery the demo sign-ins belong to.
DEMO_PRIMARY_SCHOOL = "Larkrise Primary School"
DEMO_NURSERY = "Little Acorns Day Nursery"
BUSINESS_UNIT = PARTNERSHIP_NAME + " business unit"
