"""The portal's part of the demo: announcements on each city's home page (English and Spanish) and a
resident account in Springfield."""

from __future__ import annotations

from datetime import timedelta

from civic311.db import utcnow
from civic311.demo.context import DEMO_PASSWORD, DemoContext
from civic311.portal import service
from civic311.tenancy import tenant_context

ANNOUNCEMENTS = {
    "springfield": [
        ({"en": "Holiday trash schedule", "es": "Horario de basura en días festivos"},
         {"en": "No trash or recycling pickup on Thanksgiving Day. Thursday and Friday routes are collected one "
                "day late; put carts out by 6 a.m.",
          "es": "No hay recolección de basura ni reciclaje el Día de Acción de Gracias. Las rutas del jueves y del "
                "viernes se recogen un día después; saque los contenedores antes de las 6 a. m."}),
        ({"en": "Leaf collection has started", "es": "Comenzó la recolección de hojas"},
         {"en": "Rake leaves to the curb, not into the street, by the Sunday before your zone's week. "
                "See the zone map at City Hall or call 311.",
          "es": "Rastrille las hojas hasta la orilla de la acera, no a la calle, antes del domingo previo a la "
                "semana de su zona. Vea el mapa de zonas en el Ayuntamiento o llame al 311."}),
    ],
    "shelbyville": [
        ({"en": "Water main work on Elm Street", "es": "Obras en la tubería de agua de la calle Elm"},
         {"en": "Elm Street between 2nd and 5th is closed to through traffic until December 12. "
                "Expect low water pressure nearby during the day.",
          "es": "La calle Elm entre la 2 y la 5 está cerrada al tráfico de paso hasta el 12 de diciembre. "
                "Puede haber baja presión de agua cerca durante el día."}),
        ({"en": "Holiday office hours", "es": "Horario de oficina en días festivos"},
         {"en": "City Hall is closed on November 26 and 27. Online reports are received as usual.",
          "es": "El Ayuntamiento estará cerrado el 26 y 27 de noviembre. Los reportes en línea se reciben como "
                "siempre."}),
    ],
}
RESIDENT_EMAIL = "resident@springfield.test"


def seed(ctx: DemoContext) -> None:
    now = utcnow()
    for slug, items in ANNOUNCEMENTS.items():
        tenant = ctx.cities.get(slug)
        if tenant is None:
            continue
        with tenant_context(tenant.id):
            for position, (title, body) in enumerate(items):
                service.add_announcement(title, body, starts_at=now - timedelta(days=2),
                                         ends_at=now + timedelta(days=30), position=position)
        ctx.say(f"Resident portal: http://{slug}.localhost:5000/  (Español: ?lang=es)")
    springfield = ctx.cities.get("springfield")
    if springfield is None:
        return
    with tenant_context(springfield.id):
        if service.find_account(RESIDENT_EMAIL) is None:
            service.sign_up(RESIDENT_EMAIL, DEMO_PASSWORD, name="Rosa Martinez", locale="es")
    ctx.say(f"Resident account on springfield.localhost: {RESIDENT_EMAIL} / {DEMO_PASSWORD}")
