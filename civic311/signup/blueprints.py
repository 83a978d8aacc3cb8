from civic311.signup.mailbox import bp as mailbox_bp
from civic311.signup.views import bp

BLUEPRINTS = [bp, mailbox_bp]
