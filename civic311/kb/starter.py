"""Starter answers a new city can adopt (and the demo uses): common questions, in English and Spanish,
linked to the starter catalog's service codes. "{city}" becomes the city's name."""

from __future__ import annotations

STARTER_ANSWERS: list[dict] = [
    {"key": "pothole-timing", "codes": ["pothole"],
     "en": ("How long does it take to fix a pothole?",
            "Crews inspect reported potholes within two business days and fill most of them within a week. "
            "Deep holes on busy streets are patched first.\n\nIf the hole is in a state highway, {city} "
            "passes the report to the state and tells you.",
            ["pothole", "hole", "road", "street", "asphalt", "patch"]),
     "es": ("¿Cuánto tardan en reparar un bache?",
            "Las cuadrillas inspeccionan los baches reportados en dos días hábiles y rellenan la mayoría en "
            "una semana. Los baches profundos en calles con mucho tráfico se reparan primero.\n\nSi el bache "
            "está en una carretera estatal, {city} envía el reporte al estado y se lo informa.",
            ["bache", "hoyo", "calle", "pavimento", "asfalto"])},
    {"key": "missed-pickup", "codes": ["missed-collection"],
     "en": ("My trash or recycling was not picked up",
            "Carts must be at the curb by 6 a.m. on your collection day, lids closed and handles facing the "
            "house. If the truck already passed your street and your cart was out on time, report a missed "
            "pickup by noon the next business day and it will be collected within two days.",
            ["trash", "garbage", "recycling", "missed", "pickup", "cart", "collection"]),
     "es": ("No recogieron mi basura o reciclaje",
            "Los contenedores deben estar en la acera antes de las 6 a. m. del día de recolección, con la tapa "
            "cerrada. Si el camión ya pasó y su contenedor estaba afuera a tiempo, reporte la recolección "
            "omitida antes del mediodía del siguiente día hábil y se recogerá en dos días.",
            ["basura", "reciclaje", "recoleccion", "contenedor", "camion"])},
    {"key": "bulky-items", "codes": ["bulky-item", "appliance-pickup"],
     "en": ("How do I get a couch, mattress or appliance picked up?",
            "{city} collects up to three bulky items per household each month at no charge. Schedule the "
            "pickup first; place the items at the curb the evening before. Mattresses must be wrapped in "
            "plastic. Refrigerators need a certificate that the refrigerant was removed.",
            ["bulky", "couch", "sofa", "mattress", "furniture", "appliance", "fridge", "washer"]),
     "es": ("¿Cómo solicito que recojan un sofá, colchón o electrodoméstico?",
            "{city} recoge hasta tres artículos voluminosos por hogar cada mes sin costo. Primero programe la "
            "recolección; coloque los artículos en la acera la noche anterior. Los colchones deben estar "
            "envueltos en plástico. Los refrigeradores necesitan un certificado de que se retiró el refrigerante.",
            ["voluminoso", "sofa", "colchon", "muebles", "electrodomestico", "refrigerador"])},
    {"key": "streetlight", "codes": ["streetlight-out", "streetlights-out-multiple"],
     "en": ("A street light is out. Who fixes it?",
            "Note the number on the pole (a metal tag about eye level) or the nearest address, and report it. "
            "Lights owned by {city} are repaired within five business days; lights on utility poles are "
            "passed to the power company, which usually takes longer. Downed wires are an emergency: call 911.",
            ["streetlight", "light", "lamp", "dark", "pole", "out"]),
     "es": ("Una luz de la calle no funciona. ¿Quién la repara?",
            "Anote el número del poste (una placa metálica a la altura de los ojos) o la dirección más cercana "
            "y repórtelo. Las luces de {city} se reparan en cinco días hábiles; las de postes de la compañía "
            "eléctrica se envían a esa compañía. Los cables caídos son una emergencia: llame al 911.",
            ["luz", "farola", "alumbrado", "poste", "oscuro", "lampara"])},
    {"key": "graffiti", "codes": ["graffiti"],
     "en": ("Will the city remove graffiti from my building?",
            "Yes. {city} removes graffiti from public property within three business days and from private "
            "buildings free of charge once the owner signs a consent form, which the crew brings. Offensive "
            "or hateful graffiti is removed within one business day.",
            ["graffiti", "tagging", "paint", "vandalism", "spray"]),
     "es": ("¿La ciudad quita los grafitis de mi edificio?",
            "Sí. {city} quita los grafitis de la propiedad pública en tres días hábiles y de edificios privados "
            "sin costo cuando el propietario firma un formulario de consentimiento que lleva la cuadrilla. Los "
            "grafitis ofensivos se quitan en un día hábil.",
            ["grafiti", "pintura", "vandalismo", "pintadas"])},
    {"key": "abandoned-vehicle", "codes": ["abandoned-vehicle"],
     "en": ("When is a parked car considered abandoned?",
            "A vehicle parked on a public street for more than 72 hours without moving, or with flat tires, "
            "missing plates or broken windows, can be reported. An officer tags it first; if it has not moved "
            "after 72 more hours it is towed. Cars on private property are the owner's responsibility.",
            ["abandoned", "car", "vehicle", "parked", "tow", "junk"]),
     "es": ("¿Cuándo se considera abandonado un auto estacionado?",
            "Un vehículo estacionado en la vía pública por más de 72 horas sin moverse, o con llantas "
            "desinfladas, sin placas o con vidrios rotos, se puede reportar. Un agente le pone un aviso; si no "
            "se mueve en otras 72 horas, se remolca.",
            ["abandonado", "auto", "carro", "vehiculo", "grua", "estacionado"])},
    {"key": "tree-trimming", "codes": ["tree-trim", "tree-down"],
     "en": ("Who trims the trees between the sidewalk and the street?",
            "Trees in the parkway belong to {city} and are trimmed on a seven-year cycle, street by street. "
            "Branches blocking a sign, a light or the sidewalk are trimmed sooner: report them. A fallen tree "
            "blocking a street is handled around the clock.",
            ["tree", "branch", "trim", "limb", "parkway", "fallen"]),
     "es": ("¿Quién poda los árboles entre la acera y la calle?",
            "Los árboles de la franja entre la acera y la calle pertenecen a {city} y se podan en un ciclo de "
            "siete años. Las ramas que tapan una señal, una luz o la acera se podan antes: repórtelas. Un árbol "
            "caído que bloquea la calle se atiende a cualquier hora.",
            ["arbol", "rama", "poda", "podar", "caido"])},
    {"key": "noise", "codes": ["noise-residential", "noise-commercial", "noise-construction"],
     "en": ("What can I do about noise from a neighbor or a business?",
            "Quiet hours are 10 p.m. to 7 a.m. on weeknights and 11 p.m. to 8 a.m. on weekends. Construction "
            "is allowed 7 a.m. to 7 p.m. on weekdays. Report ongoing noise here; for a party happening right "
            "now, call the police non-emergency line.",
            ["noise", "loud", "music", "party", "neighbor", "construction", "barking"]),
     "es": ("¿Qué puedo hacer por el ruido de un vecino o un negocio?",
            "Las horas de silencio son de 10 p. m. a 7 a. m. entre semana y de 11 p. m. a 8 a. m. los fines de "
            "semana. La construcción se permite de 7 a. m. a 7 p. m. entre semana. Para una fiesta en este "
            "momento, llame a la línea de la policía que no es de emergencia.",
            ["ruido", "musica", "fiesta", "vecino", "construccion", "ladridos"])},
    {"key": "water-leak", "codes": ["water-leak", "low-water-pressure"],
     "en": ("Water is coming up from the street. Is it an emergency?",
            "A main break with water flowing across the road, or no water at all, is an emergency: call the "
            "water department's 24-hour line. A small, steady leak at a meter or valve box can be reported "
            "here and is checked within one business day.",
            ["water", "leak", "main", "break", "flooding", "pressure", "meter"]),
     "es": ("Sale agua de la calle. ¿Es una emergencia?",
            "Una ruptura de tubería con agua corriendo por la calle, o quedarse sin agua, es una emergencia: "
            "llame a la línea de 24 horas del departamento de agua. Una fuga pequeña en un medidor se puede "
            "reportar aquí y se revisa en un día hábil.",
            ["agua", "fuga", "tuberia", "inundacion", "presion", "medidor"])},
    {"key": "snow", "codes": ["snow-ice"],
     "en": ("Which streets are plowed first after a snowfall?",
            "Plows start with emergency routes and main streets, then bus routes and school zones, then "
            "residential streets once snowfall stops. Residents must clear the sidewalk in front of their home "
            "within 24 hours after the snow ends.",
            ["snow", "ice", "plow", "salt", "sidewalk", "winter"]),
     "es": ("¿Qué calles se limpian primero después de una nevada?",
            "Las máquinas empiezan por las rutas de emergencia y las calles principales, luego rutas de "
            "autobús y zonas escolares, y después las calles residenciales. Los residentes deben limpiar la "
            "acera frente a su casa dentro de las 24 horas después de la nevada.",
            ["nieve", "hielo", "sal", "quitanieves", "acera", "invierno"])},
    {"key": "e-waste", "codes": ["electronic-waste"],
     "en": ("How do I get rid of an old TV or computer?",
            "Electronics cannot go in the trash or recycling cart. Request an electronic waste pickup, or drop "
            "them off at the recycling center on the first Saturday of each month, 8 a.m. to noon, with proof "
            "that you live in {city}.",
            ["tv", "television", "computer", "electronics", "monitor", "e-waste", "printer"]),
     "es": ("¿Cómo me deshago de un televisor o una computadora vieja?",
            "Los aparatos electrónicos no van en el contenedor de basura ni de reciclaje. Solicite una "
            "recolección de desechos electrónicos o llévelos al centro de reciclaje el primer sábado de cada "
            "mes, de 8 a. m. a mediodía, con prueba de que vive en {city}.",
            ["televisor", "computadora", "electronicos", "monitor", "impresora"])},
    {"key": "dead-animal", "codes": ["dead-animal", "stray-animal"],
     "en": ("How do I report a dead or stray animal?",
            "Dead animals on a street or sidewalk are removed within one business day; give the closest "
            "address and which side of the street. For an animal on private property, bag it and put it in "
            "your trash cart. A loose dog that is aggressive needs animal control right away.",
            ["dead", "animal", "deer", "raccoon", "dog", "cat", "stray", "carcass"]),
     "es": ("¿Cómo reporto un animal muerto o callejero?",
            "Los animales muertos en la calle o la acera se retiran en un día hábil; indique la dirección más "
            "cercana y de qué lado de la calle. Un perro suelto y agresivo necesita control de animales de "
            "inmediato.",
            ["animal", "muerto", "perro", "gato", "callejero", "venado"])},
    {"key": "request-status", "codes": [],
     "en": ("How do I check on a request I already made?",
            "Every request gets a tracking number such as SPR-26-004213. Enter it on the {city} 311 site under "
            "Track a request, or call 311 and read it to the agent. You receive an e-mail each time the status "
            "changes if you gave an address.",
            ["status", "tracking", "number", "update", "check", "request"]),
     "es": ("¿Cómo consulto una solicitud que ya hice?",
            "Cada solicitud tiene un número de seguimiento como SPR-26-004213. Escríbalo en el sitio 311 de "
            "{city} en Seguir una solicitud, o llame al 311 y díctelo al agente. Si dio su correo, recibirá un "
            "mensaje cada vez que cambie el estado.",
            ["estado", "seguimiento", "numero", "consultar", "solicitud"])},
]
