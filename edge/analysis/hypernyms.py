"""ImageNet-1k labels -> the words a person would tag a photo with (data, plus two lookups).

The categorizer (`edge.vision.classifier`) answers in ILSVRC-2012 classes: WordNet synsets such
as ``Egyptian cat``, ``malamute`` or ``school bus``.  This table, Edge's own, written after
WordNet's hypernym tree (Fellbaum 1998; e.g. malamute -> working dog -> dog -> canine ->
carnivore -> mammal -> animal) but cut to the levels people use, maps each class to:

* `shown(label)`: the label as a tag (`RENAME`: ``teddy`` -> ``teddy bear``, ``cab`` -> ``taxi``;
  None hides a label whose fine distinction the model cannot make, e.g. the domestic cat
  "breeds" ``tabby``/``tiger cat``/``Egyptian cat``, or whose name misleads: ``kite`` is the
  bird, ``plane`` the carpenter's tool);
* `broader(index)`: the broader tags the class implies, most specific first (``dog``,
  ``animal``), with COCO-80 class names where one fits (``school bus`` -> ``bus``,
  ``Granny Smith`` -> ``apple``, ``remote control`` -> ``remote``), so that classifier and
  detector agree on words.

`RANGES` covers runs of consecutive class indices (ILSVRC orders classes by synset, so e.g.
151..268 are the 118 dog breeds); `BROADER` names single classes by their first synonym.  A
class in a range also gets its `BROADER` entry (if any).  Every name here is checked against
`models/imagenet_labels.txt` by tests/analysis/test_models_tagging.py.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["RANGES", "BROADER", "RENAME", "shown", "broader"]

A = "animal"

# (first label, last label, broader tags) over consecutive ImageNet class indices.
RANGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tench", "stingray", ("fish", A)),
    ("cock", "great grey owl", ("bird", A)),
    ("European fire salamander", "tailed frog", ("amphibian", A)),
    ("loggerhead", "box turtle", ("turtle", "reptile", A)),
    ("banded gecko", "Komodo dragon", ("lizard", "reptile", A)),
    ("African crocodile", "American alligator", ("crocodile", "reptile", A)),
    ("thunder snake", "sidewinder", ("snake", "reptile", A)),
    ("trilobite", "centipede", (A,)),
    ("black grouse", "black swan", ("bird", A)),
    ("tusker", "wombat", ("mammal", A)),
    ("jellyfish", "isopod", ("sea creature", A)),
    ("white stork", "albatross", ("bird", A)),
    ("grey whale", "sea lion", ("sea creature", "mammal", A)),
    ("Chihuahua", "Mexican hairless", ("dog", A)),
    ("timber wolf", "coyote", ("wolf", A)),
    ("dingo", "African hunting dog", ("wild dog", A)),
    ("hyena", "hyena", ("mammal", A)),
    ("red fox", "grey fox", ("fox", A)),
    ("tabby", "Egyptian cat", ("cat", A)),
    ("cougar", "cheetah", ("big cat", A)),
    ("brown bear", "sloth bear", ("bear", A)),
    ("mongoose", "meerkat", ("mammal", A)),
    ("tiger beetle", "cicada", ("insect", A)),
    ("leafhopper", "damselfly", ("insect", A)),
    ("admiral", "lycaenid", ("butterfly", "insect", A)),
    ("starfish", "sea cucumber", ("sea creature", A)),
    ("wood rabbit", "Angora", ("rabbit", A)),
    ("hamster", "guinea pig", ("rodent", A)),
    ("sorrel", "sorrel", ("horse", A)),
    ("zebra", "zebra", ("zebra", A)),
    ("hog", "warthog", ("pig", A)),
    ("hippopotamus", "hippopotamus", ("mammal", A)),
    ("ox", "ox", ("cow", A)),
    ("water buffalo", "bison", ("cattle", A)),
    ("ram", "bighorn", ("sheep", A)),
    ("ibex", "gazelle", ("antelope", A)),
    ("Arabian camel", "llama", ("camel", A)),
    ("weasel", "badger", ("mammal", A)),
    ("armadillo", "three-toed sloth", ("mammal", A)),
    ("orangutan", "indri", ("primate", A)),
    ("Indian elephant", "African elephant", ("elephant", A)),
    ("lesser panda", "giant panda", ("panda", A)),
    ("barracouta", "puffer", ("fish", A)),
    ("guacamole", "burrito", ("food",)),
    ("red wine", "eggnog", ("drink",)),
    ("alp", "volcano", ("landscape",)),
    ("rapeseed", "yellow lady's slipper", ("flower", "plant")),
    ("acorn", "buckeye", ("plant",)),
    ("coral fungus", "bolete", ("mushroom",)),
)

_VEHICLE = "vehicle"
_CLOTHING = "clothing"
_INSTRUMENT = "musical instrument"
_BUILDING = "building"
_SHOP = ("shop", _BUILDING)


def _each(names: str, tags: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {n.strip(): tags for n in names.split("|")}


# single classes (first synonym) -> broader tags, most specific first
BROADER: dict[str, tuple[str, ...]] = {
    "tusker": ("elephant", A),
    "tarantula": ("spider", A), "black widow": ("spider", A), "garden spider": ("spider", A),
    "barn spider": ("spider", A), "black and gold garden spider": ("spider", A), "wolf spider": ("spider", A),
    "grey whale": ("whale", "sea creature", A), "killer whale": ("whale", "sea creature", A),
    "Dungeness crab": ("crab", "sea creature", A), "rock crab": ("crab", "sea creature", A),
    "fiddler crab": ("crab", "sea creature", A), "king crab": ("crab", "sea creature", A),
    "hermit crab": ("crab", "sea creature", A),
    "American lobster": ("lobster", "sea creature", A), "spiny lobster": ("lobster", "sea creature", A),
    "goose": ("bird", A), "black swan": ("swan", "bird", A),
    **_each("bicycle-built-for-two | mountain bike", ("bicycle", _VEHICLE)),
    "tricycle": (_VEHICLE,), "unicycle": (_VEHICLE,),
    **_each("beach wagon | cab | convertible | jeep | limousine | minivan | Model T | racer | sports car | "
            "ambulance | police van | car wheel | grille | golfcart | go-kart", ("car", _VEHICLE)),
    **_each("moped | motor scooter", ("motorcycle", _VEHICLE)),
    **_each("airliner | warplane | wing", ("airplane", _VEHICLE)),
    **_each("airship | space shuttle", ("aircraft", _VEHICLE)),
    **_each("school bus | trolleybus | minibus", ("bus", _VEHICLE)),
    **_each("bullet train | electric locomotive | steam locomotive | freight car | passenger car | streetcar",
            ("train", _VEHICLE)),
    **_each("fire engine | garbage truck | moving van | pickup | tow truck | trailer truck", ("truck", _VEHICLE)),
    **_each("tractor | forklift | harvester | snowplow | snowmobile | half track | tank | recreational vehicle | "
            "mobile home | horse cart | oxcart | jinrikisha | bobsled | dogsled", (_VEHICLE,)),
    **_each("canoe | catamaran | container ship | fireboat | gondola | lifeboat | liner | schooner | speedboat | "
            "trimaran | yawl | pirate | wreck | aircraft carrier | submarine | paddlewheel", ("boat",)),
    "park bench": ("bench",), "parking meter": ("parking meter",), "traffic light": ("traffic light",),
    "street sign": ("sign",),
    "backpack": ("backpack", "bag"), "umbrella": ("umbrella",), "purse": ("handbag", "bag"),
    "mailbag": ("bag",), "plastic bag": ("bag",),
    **_each("Windsor tie | bow tie | bolo tie", ("tie", _CLOTHING)),
    "ski": ("skis",),
    **_each("baseball | basketball | croquet ball | golf ball | ping-pong ball | rugby ball | soccer ball | "
            "tennis ball | volleyball", ("sports ball", "ball")),
    "racket": ("tennis racket",),
    **_each("beer bottle | pill bottle | pop bottle | water bottle | wine bottle", ("bottle",)),
    "goblet": ("wine glass", "glass"), "beer glass": ("glass",),
    "red wine": ("wine", "wine glass"),
    **_each("coffee mug | cup | measuring cup", ("cup",)),
    "espresso": ("coffee", "cup"),
    "cleaver": ("knife",), "wooden spoon": ("spoon",), "ladle": ("spoon",),
    **_each("mixing bowl | soup bowl", ("bowl",)),
    "consomme": ("soup", "bowl", "food"), "hot pot": ("soup", "food"),
    "Granny Smith": ("apple", "fruit", "food"),
    **_each("strawberry | lemon | fig | pineapple | jackfruit | custard apple | pomegranate", ("fruit", "food")),
    "banana": ("banana", "fruit", "food"), "orange": ("orange", "fruit", "food"),
    "broccoli": ("broccoli", "vegetable", "food"),
    **_each("head cabbage | cauliflower | zucchini | spaghetti squash | acorn squash | butternut squash | "
            "cucumber | artichoke | bell pepper | cardoon", ("vegetable", "food")),
    "mushroom": ("mushroom", "food"), "corn": ("vegetable", "food"), "ear": ("vegetable", "food"),
    "cheeseburger": ("burger", "sandwich", "food"), "hotdog": ("hot dog", "food"),
    "pizza": ("pizza", "food"), "carbonara": ("pasta", "food"), "bagel": ("bread", "food"),
    "French loaf": ("bread", "food"), "pretzel": ("bread", "food"),
    "ice cream": ("dessert", "food"), "ice lolly": ("dessert", "food"), "trifle": ("dessert", "food"),
    "chocolate sauce": ("dessert", "food"), "plate": ("plate", "food"),
    **_each("barber chair | folding chair | rocking chair | throne", ("chair",)),
    "studio couch": ("couch",), "pot": ("potted plant", "plant"),
    **_each("four-poster | crib | cradle | bassinet", ("bed",)),
    "dining table": ("table",), "desk": ("table",), "pool table": ("table",), "toilet seat": ("toilet",),
    **_each("television | monitor | screen | home theater | entertainment center", ("tv", "screen")),
    "laptop": ("laptop", "computer"), "notebook": ("laptop", "computer"),
    "desktop computer": ("computer",), "hand-held computer": ("computer",),
    "mouse": ("mouse", "computer"), "remote control": ("remote",),
    **_each("computer keyboard | typewriter keyboard | space bar", ("keyboard",)),
    "cellular telephone": ("cell phone", "phone"), "dial telephone": ("phone",), "pay-phone": ("phone",),
    "microwave": ("microwave",), "stove": ("oven",), "toaster": ("toaster",), "washbasin": ("sink",),
    "refrigerator": ("refrigerator",),
    **_each("book jacket | comic book | bookcase | bookshop | library", ("book",)),
    **_each("analog clock | wall clock | digital clock", ("clock",)),
    "vase": ("vase",), "teddy": ("teddy bear", "toy"), "hand blower": ("hair drier",),
    **_each("ballplayer | groom | scuba diver", ("person",)),
    **_each("abaya | academic gown | apron | bikini | brassiere | cardigan | cloak | fur coat | gown | hoopskirt | "
            "jean | jersey | kimono | lab coat | maillot | military uniform | miniskirt | overskirt | pajama | "
            "poncho | sarong | stole | suit | sweatshirt | swimming trunks | trench coat | vestment | "
            "bulletproof vest | feather boa", (_CLOTHING,)),
    **_each("cowboy hat | sombrero | bonnet | mortarboard | shower cap | bathing cap", ("hat", _CLOTHING)),
    **_each("running shoe | Loafer | clog | sandal | cowboy boot", ("shoe", "footwear")),
    "sock": ("footwear", _CLOTHING), "sunglass": ("sunglasses",), "sunglasses": ("sunglasses",),
    **_each("accordion | banjo | bassoon | cello | cornet | drum | flute | French horn | gong | harmonica | "
            "harp | marimba | oboe | ocarina | organ | panpipe | sax | steel drum | trombone | violin | maraca | "
            "chime", (_INSTRUMENT,)),
    **_each("acoustic guitar | electric guitar", ("guitar", _INSTRUMENT)),
    **_each("grand piano | upright", ("piano", _INSTRUMENT)),
    **_each("barn | boathouse | castle | church | cinema | cliff dwelling | dome | greenhouse | monastery | mosque "
            "| palace | planetarium | prison | stupa | thatch | tile roof | triumphal arch | yurt | water tower | "
            "bell cote | apiary | lumbermill | mobile home | restaurant | vault | altar", (_BUILDING,)),
    **_each("bakery | barbershop | butcher shop | confectionery | grocery store | shoe shop | tobacco shop | "
            "toyshop", _SHOP),
    **_each("steel arch bridge | suspension bridge | viaduct", ("bridge",)),
    "alp": ("mountain", "landscape"), "volcano": ("mountain", "landscape"),
    "lakeside": ("lake", "water", "landscape"), "seashore": ("beach", "sea", "landscape"),
    "sandbar": ("beach", "water", "landscape"), "promontory": ("coast", "sea", "landscape"),
    "coral reef": ("sea", "underwater"), "geyser": ("landscape",),
    "daisy": ("flower", "plant"), "hay": ("field",), "rapeseed": ("field", "flower", "plant"),
    **_each("assault rifle | revolver | rifle | cannon | missile | projectile", ("weapon",)),
    **_each("reflex camera | Polaroid camera", ("camera",)),
    **_each("table lamp | lampshade", ("lamp",)),
    **_each("web site | menu | envelope | crossword puzzle", ("text",)),
}

# shown name of a label as a tag; None hides it (its broader tags still apply)
RENAME: dict[str, str | None] = {
    "tabby": None, "tiger cat": None, "Egyptian cat": None, "tusker": None, "sorrel": None, "ox": None,
    "kite": None, "plane": None, "nipple": None, "hand-held computer": None, "sunglass": None,
    "passenger car": None, "wing": None, "grille": None, "car wheel": None, "screen": None,
    "teddy": "teddy bear", "hotdog": "hot dog", "cellular telephone": "cell phone", "notebook": "laptop",
    "pot": "flowerpot", "ear": "corn cob", "hip": "rose hip", "file": "file cabinet", "pick": "guitar pick",
    "slot": "slot machine", "jean": "jeans", "toilet tissue": "toilet paper", "consomme": "soup",
    "ashcan": "trash can", "barrow": "wheelbarrow", "beach wagon": "station wagon", "cab": "taxi",
    "racer": "race car", "upright": "upright piano", "sax": "saxophone", "Arabian camel": "camel",
    "hog": "pig", "ice bear": "polar bear", "pirate": "pirate ship", "liner": "ocean liner",
    "wreck": "shipwreck", "pickup": "pickup truck", "jinrikisha": "rickshaw", "hand blower": "hair dryer",
    "vacuum": "vacuum cleaner", "washer": "washing machine", "loupe": "magnifying glass", "Loafer": "loafer",
    "maillot": "swimsuit", "ballplayer": "baseball player", "tub": "bathtub", "monitor": "computer monitor",
    "remote control": "remote control", "studio couch": "sofa bed", "four-poster": "four-poster bed",
    "washbasin": "washbasin", "crane": "crane", "mouse": "computer mouse", "alp": "alps",
}


def shown(label: str) -> str | None:
    """`label` (first synonym of an ImageNet class) as a tag, or None to hide it."""
    return RENAME.get(label, label)


@lru_cache(maxsize=1)
def _by_index() -> tuple[tuple[str, ...], ...]:
    from edge.vision.classifier import labels

    names = [syn[0] for syn in labels()]
    first = {n: i for i, n in reversed(list(enumerate(names)))}
    out: list[tuple[str, ...]] = [()] * len(names)
    for lo, hi, tags in RANGES:
        for i in range(first[lo], first[hi] + 1):
            out[i] = tags
    for i, n in enumerate(names):
        extra = BROADER.get(n)
        if extra and not (n == "crane" and out[i]):  # `crane` 134 is the bird, 517 the machine
            out[i] = tuple(dict.fromkeys(extra + out[i]))
    return tuple(out)


def broader(index: int) -> tuple[str, ...]:
    """Broader tags ImageNet class `index` (0..999) implies, most specific first (may be
    empty).  Raises IndexError for an index outside 0..999."""
    return _by_index()[index]
