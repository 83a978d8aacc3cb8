from civic311.app import create_app

app = create_app()
